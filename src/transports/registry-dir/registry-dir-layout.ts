/**
 * The filesystem storage layout of the CNCF distribution registry
 * (distribution `registry/storage/paths.go`), as `docker-registry` serves it
 * with `storage.filesystem.rootdirectory: PATH`:
 *
 * ```
 * PATH/docker/registry/v2/
 *   blobs/sha256/HEX[0:2]/HEX/data                        every blob and every manifest
 *   repositories/REPO/_layers/sha256/HEX/link              "sha256:HEX": blob linked into REPO
 *   repositories/REPO/_manifests/revisions/sha256/HEX/link manifest (incl. index instances) in REPO
 *   repositories/REPO/_manifests/tags/TAG/current/link     digest the tag points at
 *   repositories/REPO/_manifests/tags/TAG/index/sha256/HEX/link  every digest the tag has pointed at
 * ```
 *
 * Every path is built from validated digests and repository names with
 * safeJoin; every file read is first resolved with realPathWithin, so a
 * symlink planted in the tree cannot lead outside PATH.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../../errors/index.ts';
import { type Digest, digestAlgorithm, digestHex, parseDigest } from '../../reference/digest.ts';
import { ioError } from '../../fs/io.ts';
import { realPathWithin, safeJoin } from '../../fs/within.ts';
import { writeFileAtomic } from '../../fs/atomic.ts';

/** A link file holds one digest; anything much longer is not a link. */
const MAX_LINK_BYTES = 256;

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Paths and link I/O for one repository of a registry storage tree. */
export class RegistryLayout {
  /** PATH, the registry's rootdirectory. */
  readonly root: string;
  /** PATH/docker/registry/v2 */
  readonly v2: string;
  readonly repository: string;

  /** `repository` must already be validated (reference grammar); its components become directories. */
  constructor(root: string, repository: string) {
    this.root = root;
    this.v2 = join(root, 'docker', 'registry', 'v2');
    this.repository = repository;
  }

  /** The path builders below mirror distribution's paths.go; each takes validated digests only. */
  blobData(d: Digest): string {
    const hex = digestHex(d);
    return safeJoin(this.v2, 'blobs', digestAlgorithm(d), hex.slice(0, 2), hex, 'data');
  }

  repoDir(): string {
    return safeJoin(this.v2, 'repositories', ...this.repository.split('/'));
  }

  layerLink(d: Digest): string {
    return safeJoin(this.repoDir(), '_layers', digestAlgorithm(d), digestHex(d), 'link');
  }

  revisionLink(d: Digest): string {
    return safeJoin(this.repoDir(), '_manifests', 'revisions', digestAlgorithm(d), digestHex(d), 'link');
  }

  tagsDir(): string {
    return safeJoin(this.repoDir(), '_manifests', 'tags');
  }

  tagDir(tag: string): string {
    return safeJoin(this.tagsDir(), tag);
  }

  tagCurrentLink(tag: string): string {
    return join(this.tagDir(tag), 'current', 'link');
  }

  tagIndexLink(tag: string, d: Digest): string {
    return join(this.tagDir(tag), 'index', digestAlgorithm(d), digestHex(d), 'link');
  }

  /**
   * Resolves an existing file, refusing one that (through a symlink) lies
   * outside the root. Returns undefined when it does not exist.
   */
  async resolveWithin(path: string): Promise<string | undefined> {
    try {
      return await realPathWithin(this.root, path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw ioError('reading', path, err);
    }
  }

  /**
   * Reads a link file: undefined when absent; UNSAFE_INPUT unless it holds
   * exactly one valid digest (the registry writes `sha256:HEX`, no newline).
   */
  async readLink(path: string): Promise<Digest | undefined> {
    const real = await this.resolveWithin(path);
    if (real === undefined) return undefined;
    let bytes: Buffer;
    try {
      const st = await stat(real);
      if (!st.isFile()) throw new TugError('UNSAFE_INPUT', `refusing link ${path}: not a regular file`);
      if (st.size > MAX_LINK_BYTES) throw new TugError('UNSAFE_INPUT', `refusing link ${path}: ${st.size} bytes is too long for a digest`);
      bytes = await readFile(real);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw ioError('reading link', path, err);
    }
    return parseDigest(bytes.toString('utf8'), `digest in ${path}`);
  }

  /** Writes `d` to a link file atomically, unless it already holds exactly that. */
  async writeLink(path: string, d: Digest): Promise<void> {
    let current: Digest | undefined;
    try {
      current = await this.readLink(path);
    } catch {
      current = undefined; // a corrupt link is simply replaced
    }
    if (current === d) return;
    try {
      await writeFileAtomic(path, d);
    } catch (err) {
      throw ioError('writing link', path, err);
    }
  }

  /** The real path and size of a blob's data file, or undefined when it is not stored. */
  async statBlob(d: Digest): Promise<{ path: string; size: number } | undefined> {
    const real = await this.resolveWithin(this.blobData(d));
    if (real === undefined) return undefined;
    try {
      const st = await stat(real);
      return st.isFile() ? { path: real, size: st.size } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw ioError('reading', real, err);
    }
  }
}
