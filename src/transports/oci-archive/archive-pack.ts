/**
 * Packs an OCI layout directory into a tar at `archive`, atomically: the tar
 * is written to a temp file next to `archive` and renamed over it only when
 * complete, so readers see the old archive or the new one.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { ioError, writeStreamAtomic } from '../fs-util.ts';

/** Relative paths under `root`, depth-first in name order (directories before their contents, as `tar` does). */
async function listTree(root: string, rel = ''): Promise<{ name: string; dir: boolean }[]> {
  const out: { name: string; dir: boolean }[] = [];
  const entries = (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    // Leftovers of interrupted atomic writes are not part of the layout.
    if (e.name.startsWith('.tug-tmp-')) continue;
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.push({ name, dir: true });
      out.push(...(await listTree(root, name)));
    } else if (e.isFile()) {
      out.push({ name, dir: false });
    }
  }
  return out;
}

/** Writes the tar of `layoutDir` to `archive` (temp file + rename). Only regular files and directories are packed. */
export async function packLayout(layoutDir: string, archive: string, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const pack = tarStream.pack();
  const feed = async () => {
    for (const { name, dir } of await listTree(layoutDir)) {
      const path = join(layoutDir, name);
      const st = await lstat(path);
      if (dir) {
        pack.entry({ name: `${name}/`, type: 'directory', mode: 0o755, mtime: st.mtime });
      } else {
        await pipeline(createReadStream(path), pack.entry({ name, type: 'file', size: st.size, mode: 0o644, mtime: st.mtime }));
      }
    }
    pack.finalize();
  };
  const writing = writeStreamAtomic(archive, pack as unknown as Readable, options);
  // Awaited below; this only keeps an early failure (disk full) from being reported as unhandled meanwhile.
  writing.catch(() => {});
  try {
    await feed();
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => {});
    throw ioError('packing', archive, err);
  }
  try {
    await writing;
  } catch (err) {
    throw ioError('writing', archive, err);
  }
}
