/**
 * `registry-dir:PATH:REPO[:TAG|@DIGEST]`: a distribution registry's
 * filesystem storage (what `docker-registry` serves unchanged with
 * `storage.filesystem.rootdirectory: PATH`, and what sealer's image save
 * writes). Images keep their exact manifest bytes and digests.
 */
import { readdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { ioError } from '../../fs/io.ts';
import type { Digest } from '../../reference/digest.ts';
import { type Reference, isValidTag, joinTag, parseReference } from '../../reference/reference.ts';
import { listFromTagSchema, referrersTag } from '../referrers-tag.ts';
import type { BlobOptions, Deleter, ImageDestination, ImageReference, ImageSource, ReferrerListing, ReferrerStore, SyncTarget, TagLister, Transport } from '../types.ts';
import { RegistryLayout } from './registry-dir-layout.ts';

function usage(input: string, problem: string, hint?: string): TugError {
  return new TugError('USAGE', `invalid registry-dir reference "${input}": ${problem}`, hint ? { hint } : {});
}

/**
 * A parsed `registry-dir:` name. Also a {@link TagLister} (the repository's
 * tag directories), a {@link Deleter} (removes the tag; see deleteImage) and
 * a {@link ReferrerStore}: the registry that serves such a tree (distribution
 * 2.8) has no referrers API, so referrers are kept in the tag schema.
 */
export class RegistryDirReference implements ImageReference, TagLister, Deleter, ReferrerStore {
  readonly transport: Transport = registryDirTransport;
  /** The storage root as given (resolved against the working directory when used). */
  readonly path: string;
  readonly repository: string;
  /** The tag: as given, `latest` when neither tag nor digest was given, undefined for a digest-only name. */
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;

  constructor(path: string, name: { repository: string; tag?: string | undefined; digest?: Digest | undefined }) {
    this.path = path;
    this.repository = name.repository;
    this.tag = name.tag;
    this.digest = name.digest;
  }

  get reference(): string {
    return `${this.path}:${this.repository}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  toString(): string {
    return `registry-dir:${this.reference}`;
  }

  /** Path helpers for this repository under the resolved PATH. */
  layout(): RegistryLayout {
    return new RegistryLayout(resolve(this.path), this.repository);
  }

  /** Reads manifests and blobs in place; nothing is copied or locked. */
  // Source and destination load when used (every command imports the transport table: issue 14's start-up).
  newSource(_ctx: SystemContext): Promise<ImageSource> {
    return import('./registry-dir-source.ts').then(({ RegistryDirSource }) => new RegistryDirSource(this));
  }

  /** Writes into PATH (created if missing); the tag is written by `commit`, last. */
  newDestination(_ctx: SystemContext): Promise<ImageDestination> {
    return import('./registry-dir-destination.ts').then(({ RegistryDirDestination }) => RegistryDirDestination.create(this));
  }

  /** The same repository of the same tree, by tag or by digest. */
  sibling(name: { tag: string } | { digest: Digest }): RegistryDirReference {
    return 'tag' in name ? new RegistryDirReference(this.path, { repository: this.repository, tag: name.tag }) : new RegistryDirReference(this.path, { repository: this.repository, digest: name.digest });
  }

  /** The sibling tagged `<alg>-<hex>`: where the referrers tag schema keeps `subject`'s index. */
  referrersIndex(subject: Digest): RegistryDirReference {
    return this.sibling({ tag: referrersTag(subject) });
  }

  /** The referrers tag schema's index of `subject` (empty when the tag is absent, or not in `tags` when given). */
  async listReferrers(ctx: SystemContext, subject: Digest, options: BlobOptions & { tags?: ReadonlySet<string> | undefined } = {}): Promise<ReferrerListing> {
    return listFromTagSchema(this, ctx, subject, options);
  }

  /** Never: the tree is served by a registry without the referrers API, so writers keep the tag schema. */
  indexesReferrers(_ctx: SystemContext, _options?: BlobOptions): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** Tag directories of the repository, sorted; NOT_FOUND when the repository does not exist. */
  async listTags(_ctx: SystemContext, _options?: BlobOptions): Promise<string[]> {
    const layout = this.layout();
    let names: string[];
    try {
      names = await readdir(layout.tagsDir());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const repoExists = await layout.resolveWithin(layout.repoDir());
        if (repoExists) return [];
        throw new TugError('NOT_FOUND', `repository ${this.repository} not found in ${this.path}`, { hint: 'check the path and the repository name' });
      }
      throw ioError('listing tags in', layout.tagsDir(), err);
    }
    return names.filter(isValidTag).sort();
  }

  /**
   * With a tag: removes the tag directory (NOT_FOUND if there is no such
   * tag). With only a digest: removes the manifest's revision link and every
   * tag pointing at it, as the registry's DELETE does. Blobs and manifest
   * data stay on disk until the registry's `garbage-collect` runs.
   */
  async deleteImage(_ctx: SystemContext, _options?: BlobOptions): Promise<void> {
    const layout = this.layout();
    const remove = async (dir: string) => {
      try {
        await rm(dir, { recursive: true, force: true });
      } catch (err) {
        throw ioError('removing', dir, err);
      }
    };
    if (this.tag) {
      if ((await layout.readLink(layout.tagCurrentLink(this.tag))) === undefined) {
        throw new TugError('NOT_FOUND', `${this.toString()}: no tag ${this.tag} in repository ${this.repository}`);
      }
      await remove(layout.tagDir(this.tag));
      return;
    }
    const digest = this.digest!;
    if ((await layout.readLink(layout.revisionLink(digest))) !== digest) {
      throw new TugError('NOT_FOUND', `${this.toString()}: manifest ${digest} is not in repository ${this.repository}`);
    }
    for (const tag of await this.listTags(_ctx)) {
      const current = await layout.readLink(layout.tagCurrentLink(tag)).catch(() => undefined);
      if (current === digest) await remove(layout.tagDir(tag));
    }
    await remove(resolve(layout.revisionLink(digest), '..'));
  }
}

/**
 * The `registry-dir` transport. `parse` takes the text after `registry-dir:`.
 * As a sync destination, one storage tree holding every repository.
 */
export const registryDirTransport: Transport & SyncTarget = {
  name: 'registry-dir',
  parse(input: string): RegistryDirReference {
    const colon = input.indexOf(':');
    if (colon < 0) throw usage(input, 'missing the repository', 'write registry-dir:PATH:REPO[:TAG|@DIGEST]');
    const path = input.slice(0, colon);
    const rest = input.slice(colon + 1);
    if (path === '') throw usage(input, 'missing the storage path', 'write registry-dir:PATH:REPO[:TAG|@DIGEST]');
    if (rest === '') throw usage(input, 'missing the repository', 'write registry-dir:PATH:REPO[:TAG|@DIGEST]');
    let ref: Reference;
    try {
      // A fixed host makes the grammar treat all of `rest` as the repository path.
      ref = parseReference(`localhost/${rest}`);
    } catch (err) {
      throw usage(input, (err as Error).message.replace('"localhost/', '"'), 'the repository takes no registry host: write registry-dir:PATH:REPO[:TAG]');
    }
    return new RegistryDirReference(path, { repository: ref.repository, tag: ref.tag, digest: ref.digest });
  },
  syncScope: 'store',
  syncReference: ({ location, repository, tag }) => registryDirTransport.parse(`${location}:${joinTag(repository, tag)}`),
};
