/**
 * How many bytes unpacking an archive may write: never more than the disk
 * it unpacks to has free (less a reserve), and, where the archive declares
 * what it holds (an OCI layout's index and manifests), not much more than
 * that. A small gzip can inflate a thousandfold; these caps make such an
 * archive bomb a clear error instead of a full disk.
 */
import { open, statfs } from 'node:fs/promises';
import { TugError } from '../../errors/index.ts';
import { ioError } from '../../fs/io.ts';
import type { ArchiveBudget } from './safe-tar-reader.ts';

/** Left free on the disk an archive unpacks to, for everything else on the machine. */
export const DISK_RESERVE_BYTES = 64 * 1024 * 1024;
/** Allowed beyond what an archive declares: small files no descriptor names (oci-layout, index.json), plus 1%. */
export const DECLARED_MARGIN_BYTES = 16 * 1024 * 1024;

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Unpacking `kind` `path` into `dir` may use `dir`'s free space less {@link DISK_RESERVE_BYTES}. */
export async function diskBudget(kind: string, path: string, dir: string): Promise<ArchiveBudget> {
  let free: number;
  try {
    const s = await statfs(dir);
    free = s.bavail * s.bsize;
  } catch (err) {
    throw ioError('checking the free space of', dir, err);
  }
  const bytes = Math.max(0, free - DISK_RESERVE_BYTES);
  return {
    bytes,
    refuse: (total) =>
      new TugError('IO', `${kind} ${path} unpacks to more than ${mib(total - 1)}; ${dir} has ${mib(free)} free and ${mib(DISK_RESERVE_BYTES)} of it is kept free`, {
        hint: 'free space there, or unpack on a larger disk with --tmpdir DIR',
      }),
  };
}

/** Unpacking may write what the archive declares (`declared` bytes) plus {@link DECLARED_MARGIN_BYTES} and 1%. */
export function declaredBudget(kind: string, path: string, declared: number): ArchiveBudget {
  const bytes = declared + DECLARED_MARGIN_BYTES + Math.ceil(declared / 100);
  return {
    bytes,
    refuse: (total) =>
      new TugError('UNSAFE_INPUT', `refusing ${kind} ${path}: it unpacks to more than ${mib(total - 1)}, but its index and manifests declare ${mib(declared)} (an archive bomb?)`, {
        hint: 'the archive is damaged or hostile; re-create it from a trusted copy',
      }),
  };
}

/** The tighter of two budgets. */
export function tighter(a: ArchiveBudget, b: ArchiveBudget | undefined): ArchiveBudget {
  return b !== undefined && b.bytes < a.bytes ? b : a;
}

/** True when the file starts with the gzip magic (RFC 1952): only then can it unpack to more than its own size. */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(2);
    await fh.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
