/**
 * Checking what a local store holds, by its bytes: every blob file hashed
 * against the digest its name claims, every manifest and index reachable
 * from the store's roots read, hashed and parsed, and everything they name
 * present with its declared size. `tug verify oci:PATH | dir:PATH |
 * registry-dir:PATH` runs it; each layout supplies only its paths and roots
 * (`dir/dir-verify.ts`, `oci-layout/oci-layout-verify.ts`,
 * `registry-dir/registry-dir-verify.ts`). {@link checkStoredFile} judges one
 * stored blob the same way, for `--verify-existing`.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { TugError } from '../errors/index.ts';
import { hashFile, ioError } from '../fs/io.ts';
import { readFileWithin, statWithin } from '../fs/within.ts';
import { type Descriptor, MAX_MANIFEST_BYTES, parseManifest } from '../oci/manifest.ts';
import { type Digest, digestAlgorithm, digestHex } from '../reference/digest.ts';
import type { StoredBlobState } from './types.ts';

/** One thing wrong in a store. */
export interface StoreProblem {
  /** The file (or, for a missing one, where it should be). */
  path: string;
  kind: 'corrupt' | 'missing' | 'invalid';
  /** For `corrupt`: the digest its name or a descriptor claims, and what its bytes hash to. */
  expected?: Digest | undefined;
  actual?: Digest | undefined;
  detail: string;
}

export interface StoreReport {
  /** The store as named on the command line, e.g. `oci:/srv/layout`. */
  store: string;
  /** Blob files hashed (manifests included) and their bytes. */
  files: number;
  bytes: number;
  /** Manifests and indexes read from the roots. */
  manifests: number;
  problems: StoreProblem[];
}

export interface StoreCheckOptions {
  /** Files hashed at once (default 4: hashing is CPU- and disk-bound). */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** What `tug verify` can check by its bytes: an `oci:`, `dir:` or `registry-dir:` store. */
export interface StoreVerifier {
  verifyStore(options?: StoreCheckOptions): Promise<StoreReport>;
}

/** A descriptor as a store's roots give it: a registry-dir link names only the digest. */
export type StoreDescriptor = Pick<Descriptor, 'digest'> & Partial<Descriptor>;

/** Where a layout keeps what a descriptor names. */
export type Locate = (desc: StoreDescriptor) => string;

/**
 * The shared machinery: hashes each path once (bounded), records problems,
 * and walks manifests. A layout's verifier makes one, walks its roots with
 * {@link walkManifest}, then hashes every remaining blob file with
 * {@link checkFile}.
 */
export class StoreChecker {
  readonly report: StoreReport;
  private readonly root: string;
  private readonly limit: LimitFunction;
  private readonly signal: AbortSignal | undefined;
  private readonly files = new Map<string, Promise<boolean>>();
  private readonly manifests = new Set<string>();

  constructor(store: string, root: string, options: StoreCheckOptions = {}) {
    this.report = { store, files: 0, bytes: 0, manifests: 0, problems: [] };
    this.root = root;
    this.limit = pLimit(Math.max(1, options.concurrency ?? 4));
    this.signal = options.signal;
  }

  problem(p: StoreProblem): void {
    this.report.problems.push(p);
  }

  /**
   * Hashes the file at `path` once and compares it with `expected` (and
   * `size` when given). Records `missing` or `corrupt`; true when good.
   */
  checkFile(path: string, expected: Digest, size?: number | undefined, what = 'blob'): Promise<boolean> {
    let pending = this.files.get(path);
    if (!pending) {
      pending = this.limit(async () => {
        const st = await statWithin(this.root, path);
        if (!st || !st.isFile()) {
          this.problem({ path, kind: 'missing', expected, detail: `${what} ${expected} is missing` });
          return false;
        }
        const actual = await hashFile(path, digestAlgorithm(expected), this.signal);
        this.report.files++;
        this.report.bytes += actual.size;
        if (actual.digest !== expected) {
          this.problem({ path, kind: 'corrupt', expected, actual: actual.digest, detail: `${what}: expected ${expected}, got ${actual.digest} (${actual.size} bytes)` });
          return false;
        }
        if (size !== undefined && actual.size !== size) {
          this.problem({ path, kind: 'corrupt', expected, actual: actual.digest, detail: `${what} is ${actual.size} bytes; the descriptor says ${size}` });
          return false;
        }
        return true;
      });
      // Callers may start hashes without awaiting them; finish() reports a failure.
      pending.catch(() => {});
      this.files.set(path, pending);
    }
    return pending;
  }

  /**
   * Reads the manifest or index `desc` names (at `locate.manifest(desc)`),
   * checks its digest and size, and follows it: an index's instances, an
   * image's config and layers (checked with {@link checkFile}; a foreign
   * layer with `urls` may be absent). Each manifest is read once.
   */
  async walkManifest(desc: StoreDescriptor, locate: { manifest: Locate; blob: Locate }, via: string): Promise<void> {
    const path = locate.manifest(desc);
    if (this.manifests.has(path)) return;
    this.manifests.add(path);
    let bytes: Uint8Array;
    try {
      bytes = await readFileWithin(this.root, path, MAX_MANIFEST_BYTES, `manifest ${desc.digest}`);
    } catch (err) {
      if (err instanceof TugError && err.code === 'NOT_FOUND') {
        this.problem({ path, kind: 'missing', expected: desc.digest, detail: `manifest ${desc.digest} (named by ${via}) is missing` });
        return;
      }
      throw err;
    }
    this.report.manifests++;
    if (!(await this.checkFile(path, desc.digest, desc.size, `manifest (named by ${via})`))) return;
    await this.followManifest(bytes, desc.mediaType, desc.digest, locate);
  }

  /** Follows an already-read manifest's references (see {@link walkManifest}); `dir:`'s manifest.json enters here. */
  async followManifest(bytes: Uint8Array, mediaType: string | undefined, name: string, locate: { manifest: Locate; blob: Locate }): Promise<void> {
    let parsed;
    try {
      parsed = parseManifest(bytes, mediaType, `manifest ${name}`);
    } catch (err) {
      this.problem({ path: name, kind: 'invalid', detail: `manifest ${name} cannot be read: ${(err as Error).message}` });
      return;
    }
    if (parsed.kind === 'index') {
      await Promise.all(parsed.manifest.manifests.map((d) => this.walkManifest(d, locate, `index ${name}`)));
    } else if (parsed.kind === 'image') {
      await Promise.all(
        [parsed.manifest.config, ...parsed.manifest.layers].map(async (d) => {
          const path = locate.blob(d);
          if (d.urls && d.urls.length > 0 && !(await statWithin(this.root, path))) return;
          await this.checkFile(path, d.digest, d.size, `blob (named by manifest ${name})`);
        }),
      );
    }
  }

  /** Waits for every hash started; returns the report. */
  async finish(): Promise<StoreReport> {
    await Promise.all(this.files.values());
    return this.report;
  }
}

/**
 * Judges the file a layout stores for `desc` at `path` (which must resolve
 * inside `root`) by its bytes: `absent`, `valid`, or `corrupt` (not a
 * regular file, wrong size, or wrong digest). The size is checked first, so
 * a wrong-size file is never read.
 */
export async function checkStoredFile(root: string, path: string, desc: { digest: Digest; size: number }, signal?: AbortSignal): Promise<StoredBlobState> {
  const st = await statWithin(root, path);
  if (!st) return 'absent';
  if (!st.isFile() || st.size !== desc.size) return 'corrupt';
  try {
    const actual = await hashFile(path, digestAlgorithm(desc.digest), signal);
    return actual.size === desc.size && digestHex(actual.digest) === digestHex(desc.digest) ? 'valid' : 'corrupt';
  } catch (err) {
    throw ioError('reading', path, err);
  }
}
