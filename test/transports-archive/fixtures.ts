/** Test scaffolding shared by the archive transport tests. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before } from 'node:test';

/**
 * Registers before/after hooks for one temp directory under os.tmpdir(),
 * removed after the file's tests; `scratch(name)` makes a subdirectory.
 */
export function tempWorkspace(prefix: string): { scratch(name: string): string } {
  let work = '';
  before(() => {
    work = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });
  return {
    scratch(name: string): string {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
