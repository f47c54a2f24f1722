/** Private scratch directories for oci-archive extraction and packing, and how the tar is read. */
import { tmpdir } from 'node:os';
import type { SystemContext } from '../../context/system-context.ts';
import { makeScratchDir } from '../../fs/scratch.ts';
import type { ArchiveReadOptions } from '../archive/safe-tar-reader.ts';

/**
 * How oci-archive reads its tar: an OCI layout has only files and
 * directories, so any link refuses the archive (the reader's default).
 */
export const OCI_ARCHIVE_TAR: ArchiveReadOptions = { kind: 'OCI archive' };

/**
 * Creates a private scratch directory under `ctx.tmpDir ?? os.tmpdir()`
 * (mode 0700), sweeping those of killed runs (src/fs/scratch.ts), and
 * returns it with its removal.
 */
export function scratchDir(ctx: SystemContext): Promise<{ dir: string; remove: () => Promise<void> }> {
  return makeScratchDir(ctx.tmpDir ?? tmpdir(), 'oci-archive');
}
