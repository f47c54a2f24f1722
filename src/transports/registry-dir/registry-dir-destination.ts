/**
 * Writes images into a registry storage tree exactly as the registry
 * itself would on push, so `docker-registry` can serve the result unchanged.
 * Order matters for crash safety: blob data, then its `_layers` link;
 * manifest data, then its revision link; the tag links last, in `commit`.
 * A killed process can leave unreferenced data (the registry's
 * garbage-collect removes it) but never a tag pointing at missing content.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { TugError, cancelledError, isAbortError } from '../../errors/index.ts';
import { type Descriptor, parseManifest } from '../../oci/manifest.ts';
import { integrityError } from '../../oci/verify.ts';
import { type Digest, parseDigest } from '../../reference/digest.ts';
import { checkStoredFile } from '../store-check.ts';
import { ioError, pathExists } from '../../fs/io.ts';
import { realPathWithin } from '../../fs/within.ts';
import { removeStaleTemps, sweepOnce } from '../../fs/temp-files.ts';
import { writeFileAtomic, writeStreamAtomic } from '../../fs/atomic.ts';
import type { BlobContentChecker, BlobOptions, ImageDestination, PutManifestOptions, StoredBlobState } from '../types.ts';
import type { RegistryLayout } from './registry-dir-layout.ts';
import type { RegistryDirReference } from './registry-dir-transport.ts';

/**
 * An {@link ImageDestination} into one repository of a registry storage
 * tree. Stores indexes (`supportsIndex`); shares blob data across
 * repositories (a blob already stored for another repository is only linked).
 */
export class RegistryDirDestination implements ImageDestination, BlobContentChecker {
  readonly reference: RegistryDirReference;
  readonly supportsIndex = true;
  private readonly layout: RegistryLayout;
  private top: Digest | undefined;
  private committed = false;
  /** Blobs found present by hasBlob, linked into this repository before the first manifest (not during hasBlob: a dry run writes nothing). */
  private readonly pendingLinks = new Set<Digest>();
  private prepared: Promise<void> | undefined;
  readonly blobStoreKey: string;

  private constructor(reference: RegistryDirReference, layout: RegistryLayout) {
    this.reference = reference;
    this.layout = layout;
    this.blobStoreKey = `registry-dir:${resolve(layout.root)}`;
  }

  /** Opens the tree for writing; PATH/docker/registry/v2 is created on the first write (see {@link prepare}). */
  static async create(reference: RegistryDirReference): Promise<RegistryDirDestination> {
    const layout = reference.layout();
    if (await pathExists(layout.v2)) await realPathWithin(layout.root, layout.v2);
    return new RegistryDirDestination(reference, layout);
  }

  /** Creates PATH/docker/registry/v2 if needed and refuses a tree whose v2 directory is a symlink out of PATH. */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      try {
        await mkdir(this.layout.v2, { recursive: true });
      } catch (err) {
        throw ioError('creating', this.layout.v2, err);
      }
      await realPathWithin(this.layout.root, this.layout.v2);
      // A killed earlier run left temp files next to blob data (a blob's worth each) and links.
      await sweepOnce(`registry-dir:${this.layout.v2}`, () => removeStaleTemps([join(this.layout.v2, 'blobs')], { recursive: true }));
      await sweepOnce(`registry-dir:${this.layout.repoDir()}`, () => removeStaleTemps([this.layout.repoDir()], { recursive: true }));
      for (const d of this.pendingLinks) await this.layout.writeLink(this.layout.layerLink(d), d);
      this.pendingLinks.clear();
    })();
    return this.prepared;
  }

  /**
   * True when the data file exists with the descriptor's size; the blob is
   * then linked into this repository on the spot (idempotently), so a blob
   * stored for another repository is reused without moving bytes.
   */
  async hasBlob(desc: Descriptor, _options?: BlobOptions): Promise<boolean> {
    const d = parseDigest(desc.digest, 'blob digest');
    const blob = await this.layout.statBlob(d);
    if (!blob || blob.size !== desc.size) return false;
    await this.linkPresent(d);
    return true;
  }

  /** Hashes the data file; a `valid` blob is then linked into this repository as {@link hasBlob} does. */
  async checkBlob(desc: Descriptor, options: BlobOptions = {}): Promise<StoredBlobState> {
    const d = parseDigest(desc.digest, 'blob digest');
    const state = await checkStoredFile(this.layout.root, this.layout.blobData(d), desc, options.signal);
    if (state === 'valid') await this.linkPresent(d);
    return state;
  }

  private async linkPresent(d: Digest): Promise<void> {
    if (this.prepared) await this.layout.writeLink(this.layout.layerLink(d), d);
    else this.pendingLinks.add(d);
  }

  /** Writes the data file (visible only once `stream` ended cleanly), then links it into the repository. */
  async putBlob(desc: Descriptor, stream: Readable, options: BlobOptions = {}): Promise<void> {
    const d = parseDigest(desc.digest, 'blob digest');
    const path = this.layout.blobData(d);
    try {
      await writeStreamAtomic(path, stream, { ...options, prepare: () => this.prepare() });
    } catch (err) {
      if (isAbortError(err)) throw cancelledError(`writing ${d} to ${this.reference.toString()}`, err);
      throw ioError('writing blob', path, err);
    }
    await this.layout.writeLink(this.layout.layerLink(d), d);
  }

  /**
   * Stores the manifest as a blob plus a revision link, after checking that
   * everything it references is already in this repository (blobs linked,
   * index instances stored), as the registry checks on PUT. The top-level
   * manifest is remembered for `commit`; when the name carries a digest, the
   * manifest must have it.
   */
  async putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    const d = parseDigest(manifest.digest, 'manifest digest');
    await this.prepare();
    const parsed = parseManifest(manifest.bytes, manifest.mediaType, `manifest ${d}`);
    if (parsed.kind === 'schema1') throw new TugError('UNSUPPORTED', `${this.reference.toString()}: writing schema1 manifests is not supported`);
    const missing: string[] = [];
    if (parsed.kind === 'image') {
      for (const desc of [parsed.manifest.config, ...parsed.manifest.layers]) {
        // Foreign layers (with urls) need not be stored, as the registry allows.
        if (desc.urls && desc.urls.length > 0) continue;
        if ((await this.layout.readLink(this.layout.layerLink(desc.digest))) !== desc.digest) missing.push(`blob ${desc.digest}`);
      }
    } else {
      for (const desc of parsed.manifest.manifests) {
        if ((await this.layout.readLink(this.layout.revisionLink(desc.digest))) !== desc.digest) missing.push(`manifest ${desc.digest}`);
      }
    }
    if (missing.length > 0) {
      throw new TugError('INTERNAL', `${this.reference.toString()}: manifest ${d} references ${missing.join(', ')}, not stored in ${this.reference.repository}`, {
        hint: 'write every blob and instance manifest before the manifest that points at them',
      });
    }
    if (!options.instance && this.reference.digest && this.reference.digest !== d) {
      throw integrityError(this.reference.toString(), `the image's manifest digest is ${d}, not the one the name asks for`);
    }
    const path = this.layout.blobData(d);
    // Compared byte for byte (it is small): a stored manifest of the right size but wrong bytes is rewritten.
    const stored = await this.layout.statBlob(d);
    if (!stored || stored.size !== manifest.bytes.byteLength || !Buffer.from(manifest.bytes).equals(await readFile(stored.path).catch(() => Buffer.alloc(0)))) {
      try {
        await writeFileAtomic(path, manifest.bytes);
      } catch (err) {
        throw ioError('writing manifest', path, err);
      }
    }
    await this.layout.writeLink(this.layout.revisionLink(d), d);
    if (!options.instance) this.top = d;
  }

  /**
   * Points the tag at the top-level manifest: `index/<digest>/link` first,
   * then `current/link` (the one the registry resolves). A digest-only name
   * writes no tag. Idempotent.
   */
  async commit(): Promise<void> {
    if (this.committed) return;
    const top = this.top;
    if (!top) throw new TugError('INTERNAL', `${this.reference.toString()}: commit called before the top-level manifest was written`);
    const tag = this.reference.tag;
    if (tag) {
      await this.layout.writeLink(this.layout.tagIndexLink(tag, top), top);
      await this.layout.writeLink(this.layout.tagCurrentLink(tag), top);
    }
    this.committed = true;
  }

  /** Nothing to release: everything written is either referenced or garbage for the registry's GC. */
  async close(): Promise<void> {}
}
