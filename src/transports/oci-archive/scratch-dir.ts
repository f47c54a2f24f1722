/** Private scratch directories for oci-archive extraction and packing, and how the tar is read. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchiveReadOptions } from '../archive/safe-tar-reader.ts';
import { ioError } from '../fs-util.ts';
import type { SystemContext } from '../types.ts';

/**
 * How oci-archive reads its tar: an OCI layout has only files and
 * directories, so any link refuses the archive (the reader's default).
 */
export const OCI_ARCHIVE_TAR: ArchiveReadOptions = { kind: 'OCI archive' };

/**
 * Creates a private scratch directory under `ctx.tmpDir ?? os.tmpdir()`
 * (mode 0700, by mkdtemp) and returns it with its removal.
 */
export async function scratchDir(ctx: SystemContext): Promise<{ dir: string; remove: () => Promise<void> }> {
  const base = ctx.tmpDir ?? tmpdir();
  let dir: string;
  try {
    dir = await mkdtemp(join(base, 'tug-oci-archive-'));
  } catch (err) {
    throw ioError('creating a temporary directory in', base, err);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
