/**
 * The `docker://HOST/REPO[:TAG][@DIGEST]` transport: images in a registry
 * speaking the OCI distribution / Docker Registry v2 API, through
 * src/distribution/. Files follow the transport convention: this one parses
 * and names, docker-source.ts reads, docker-destination.ts writes.
 */
import type { SystemContext } from '../../context/system-context.ts';
import type { ClientLease } from '../../distribution/pool.ts';
import { TugError } from '../../errors/index.ts';
import { digestBytes } from '../../oci/verify.ts';
import type { Digest } from '../../reference/digest.ts';
import { Reference, joinTag, parseReference } from '../../reference/reference.ts';
import { listFromTagSchema, referrersTag } from '../referrers-tag.ts';
import type { BlobOptions, Deleter, DigestResolver, ImageDestination, ImageReference, ImageSource, ReferrerListing, ReferrerStore, SyncTarget, TagLister, Transport } from '../types.ts';

/** The digest of `{}`, the OCI empty descriptor: a subject any registry with the referrers API answers for (an empty list). */
const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' as Digest;

// The registry client (undici and friends) is loaded on first use, not when a
// name is parsed: `tug --help` and local-only copies start faster.
// Every request of the name as written (not a pull: see newSource) passes
// registries.conf's `blocked` and `insecure` for it.
async function acquireClient(ref: Reference, ctx: SystemContext): Promise<ClientLease> {
  const { contextForName } = await import('./docker-registries-conf.ts');
  const located = await contextForName('contacting', ref, ctx);
  const pool = await import('../../distribution/pool.ts');
  return pool.acquireClient(ref.registry, located);
}

/**
 * A `docker://` reference. `ref` is the parsed, normalised image reference
 * (`docker.io/library/nginx:latest` for `docker://nginx`).
 */
export class DockerReference implements ImageReference, TagLister, Deleter, DigestResolver, ReferrerStore {
  readonly ref: Reference;

  constructor(ref: Reference) {
    this.ref = ref;
  }

  get transport(): Transport {
    return dockerTransport;
  }

  /** The fully qualified reference, without the `docker://` prefix. */
  get reference(): string {
    return this.ref.toString();
  }

  toString(): string {
    return `docker://${this.ref.toString()}`;
  }

  /** Opens a source; no request is made until the first read. Close it to release the pooled client. */
  async newSource(ctx: SystemContext): Promise<ImageSource> {
    // registries.conf's mirrors and prefix remapping apply to pulls (docker-registries-conf.ts).
    const { openPullSource } = await import('./docker-registries-conf.ts');
    return openPullSource(this, ctx);
  }

  /** Opens a destination; no request is made until the first write. Close it to release the pooled client. */
  async newDestination(ctx: SystemContext): Promise<ImageDestination> {
    const { DockerDestination } = await import('./docker-destination.ts');
    const { contextForName } = await import('./docker-registries-conf.ts');
    return new DockerDestination(this, await contextForName('writing', this.ref, ctx));
  }

  /** Every tag of the repository (the reference's own tag and digest are ignored), following pagination. */
  async listTags(ctx: SystemContext, options: BlobOptions = {}): Promise<string[]> {
    const lease = await acquireClient(this.ref, ctx);
    try {
      return await lease.client.listTags(this.ref.repository, { signal: options.signal });
    } finally {
      await lease.release();
    }
  }

  /**
   * The digest the reference names now, from one HEAD of the manifest
   * (falling back to a GET when the registry sends no Docker-Content-Digest);
   * undefined when the tag does not exist. What makes an unchanged tag cost
   * one request per side in `tug sync`.
   */
  async resolveDigest(ctx: SystemContext, options: BlobOptions = {}): Promise<{ digest: Digest; mediaType: string | undefined } | undefined> {
    const lease = await acquireClient(this.ref, ctx);
    const { client } = lease;
    const repo = this.ref.repository;
    try {
      const head = await client.headManifest(repo, this.ref.identifier, { signal: options.signal });
      if (!head) return undefined;
      if (head.digest) return { digest: head.digest, mediaType: head.mediaType };
      const got = await client.getManifest(repo, this.ref.identifier, { signal: options.signal });
      return { digest: got.digest ?? digestBytes(got.bytes), mediaType: got.mediaType };
    } finally {
      await lease.release();
    }
  }

  /** The same repository, by tag or by digest (for referrers and cosign's tags). */
  sibling(name: { tag: string } | { digest: Digest }): DockerReference {
    const { registry, repository } = this.ref;
    return new DockerReference(Reference.from('tag' in name ? { registry, repository, tag: name.tag } : { registry, repository, digest: name.digest }));
  }

  /** The sibling tagged `<alg>-<hex>`: where the referrers tag schema keeps `subject`'s index. */
  referrersIndex(subject: Digest): DockerReference {
    return this.sibling({ tag: referrersTag(subject) });
  }

  /**
   * The referrers of `subject`: one GET of the referrers API; on a registry
   * without it (remembered after its first 404), the fallback tag's index,
   * read only when `tags` (the repository's list, if the caller has it)
   * names that tag.
   */
  async listReferrers(ctx: SystemContext, subject: Digest, options: BlobOptions & { tags?: ReadonlySet<string> | undefined } = {}): Promise<ReferrerListing> {
    const lease = await acquireClient(this.ref, ctx);
    try {
      const answer = await lease.client.listReferrers(this.ref.repository, subject, { signal: options.signal });
      if (answer) return { descriptors: answer.descriptors, via: 'api' };
    } finally {
      await lease.release();
    }
    return listFromTagSchema(this, ctx, subject, options);
  }

  /**
   * True when the registry has the referrers API (it then indexes a pushed
   * manifest by its subject itself). Asked once per client with a referrers
   * GET of the OCI empty descriptor's digest; the answer is remembered.
   */
  async indexesReferrers(ctx: SystemContext, options: BlobOptions = {}): Promise<boolean> {
    const lease = await acquireClient(this.ref, ctx);
    try {
      if (!lease.client.mayHaveReferrersApi) return false;
      return (await lease.client.listReferrers(this.ref.repository, EMPTY_JSON_DIGEST, { signal: options.signal })) !== undefined;
    } finally {
      await lease.release();
    }
  }

  /**
   * Deletes the manifest the reference names: by its digest, or by the digest
   * a HEAD of its tag resolves to (which removes every tag pointing at it, as
   * the registry API can only delete by digest). NOT_FOUND when it does not
   * exist; UNSUPPORTED when the registry has deletion disabled.
   */
  async deleteImage(ctx: SystemContext, options: BlobOptions = {}): Promise<void> {
    const lease = await acquireClient(this.ref, ctx);
    const { client } = lease;
    const repo = this.ref.repository;
    try {
      let digest = this.ref.digest;
      if (!digest) {
        const tag = this.ref.identifier;
        const head = await client.headManifest(repo, tag, { signal: options.signal });
        if (!head) {
          throw new TugError('NOT_FOUND', `deleting ${this.ref.toString()}: manifest not found`, { hint: 'check the name and tag' });
        }
        // A registry that sends no Docker-Content-Digest on HEAD still serves the bytes; the digest is theirs.
        digest = head.digest ?? (await client.getManifest(repo, tag, { signal: options.signal })).digest;
        if (!digest) throw new TugError('REGISTRY', `deleting ${this.ref.toString()}: the registry does not report the manifest's digest`, { hint: 'delete by digest: docker://HOST/REPO@sha256:...' });
      }
      await client.deleteManifest(repo, digest, { signal: options.signal });
    } finally {
      await lease.release();
    }
  }
}

/** `docker://` (parse() takes the text after `docker://`); a sync destination whose location is a registry prefix. */
export const dockerTransport: Transport & SyncTarget = {
  name: 'docker',
  parse(reference: string): DockerReference {
    if (reference.startsWith('//')) reference = reference.slice(2);
    return new DockerReference(parseReference(reference));
  },
  syncScope: 'registry',
  syncReference: ({ repository, tag }) => new DockerReference(parseReference(joinTag(repository, tag))),
};
