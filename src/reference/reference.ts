/**
 * Image references, following the grammar of distribution/reference with
 * Docker's normalisation (`nginx` -> `docker.io/library/nginx:latest`).
 * A {@link Reference} is an immutable value: parse once at the edge, then
 * pass it around; `withTag()` and friends return copies. Every user-facing
 * name goes through {@link Reference.toString}.
 */
import { TugError } from '../errors/index.ts';
import { type Digest, parseDigest } from './digest.ts';

export const DOCKER_HUB = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** distribution/reference's NameTotalLengthMax */
export const NAME_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

function usage(input: string, problem: string, hint?: string): TugError {
  return new TugError('USAGE', `invalid image reference "${input}": ${problem}`, hint ? { hint } : {});
}

export interface ReferenceParts {
  /** Registry host with optional port, normalised (`docker.io`, `index.docker.io` -> `docker.io`). */
  readonly registry: string;
  /** Repository path within the registry (`library/nginx`). */
  readonly repository: string;
  readonly tag?: string | undefined;
  readonly digest?: Digest | undefined;
}

export class Reference implements ReferenceParts {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;

  private constructor(parts: ReferenceParts) {
    this.registry = parts.registry;
    this.repository = parts.repository;
    this.tag = parts.tag;
    this.digest = parts.digest;
    Object.freeze(this);
  }

  /** Builds a reference from already-split parts, validating each. */
  static from(parts: ReferenceParts): Reference {
    const s = `${parts.registry}/${parts.repository}${parts.tag ? `:${parts.tag}` : ''}${parts.digest ? `@${parts.digest}` : ''}`;
    return parseReference(s, { defaultTag: false });
  }

  /** `registry/repository`, the name without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** The tag if any, else the digest: what the registry's manifest endpoint takes. */
  get identifier(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  withTag(tag: string): Reference {
    if (!TAG_RE.test(tag)) throw usage(`${this.name}:${tag}`, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    return new Reference({ registry: this.registry, repository: this.repository, tag, digest: undefined });
  }

  withDigest(digest: string): Reference {
    return new Reference({ registry: this.registry, repository: this.repository, tag: this.tag, digest: parseDigest(digest) });
  }

  withRepository(repository: string): Reference {
    return Reference.from({ registry: this.registry, repository, tag: this.tag, digest: this.digest });
  }

  /** Drops the digest, keeping the tag (or `latest` when there is none). */
  tagged(): Reference {
    return new Reference({ registry: this.registry, repository: this.repository, tag: this.tag ?? DEFAULT_TAG, digest: undefined });
  }

  equals(other: ReferenceParts): boolean {
    return this.registry === other.registry && this.repository === other.repository && this.tag === other.tag && this.digest === other.digest;
  }

  /** Fully qualified form: `docker.io/library/nginx:1.27@sha256:...`. */
  toString(): string {
    return `${this.name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** Docker's short form for display (`nginx:1.27`), as `docker images` prints. */
  familiar(): string {
    let name = this.name;
    if (this.registry === DOCKER_HUB) {
      name = this.repository.startsWith('library/') && this.repository.split('/').length === 2 ? this.repository.slice(8) : this.repository;
    }
    return `${name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

export interface ParseOptions {
  /** Add `:latest` when neither tag nor digest is given (default true, as docker does). */
  defaultTag?: boolean;
}

/**
 * Parses and normalises an image reference. Throws a USAGE {@link TugError}
 * naming the offending part: `invalid image reference "Foo/bar": repository
 * "Foo/bar" must be lower-case`.
 */
export function parseReference(input: string, options: ParseOptions = {}): Reference {
  const defaultTag = options.defaultTag ?? true;
  if (typeof input !== 'string' || input.length === 0) throw usage(String(input), 'empty reference');
  if (/\s/.test(input)) throw usage(input, 'contains white space');
  if (input.startsWith('docker://')) throw usage(input, 'has a transport prefix', 'drop "docker://" here');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    try {
      digest = parseDigest(d);
    } catch {
      throw usage(input, `digest "${d}" is not sha256:<64 hex> or sha512:<128 hex>`);
    }
    rest = rest.slice(0, at);
  }

  // A tag is after the last ':' that follows the last '/' (a ':' before it is a port).
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw usage(input, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (rest.length === 0) throw usage(input, 'missing repository name');

  // Docker's rule: the first component is a registry if it has a '.' or ':'
  // or is "localhost". (Docker also takes an upper-case first component as a
  // host; we refuse it instead: "Foo/bar" is far more often a mistyped
  // repository than a registry named Foo.)
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN_RE.test(registry)) throw usage(input, `registry "${registry}" is not a valid host[:port]`);
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  registry = registry.toLowerCase();
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;

  if (repository.length === 0) throw usage(input, 'missing repository name');
  for (const component of repository.split('/')) {
    if (component === '' ) throw usage(input, `repository "${repository}" has an empty path component`);
    if (component === '.' || component === '..') throw usage(input, `repository "${repository}" contains "${component}"`);
    if (!PATH_COMPONENT_RE.test(component)) {
      if (component.toLowerCase() !== component && PATH_COMPONENT_RE.test(component.toLowerCase())) {
        throw usage(input, `repository "${repository}" must be lower-case`);
      }
      throw usage(input, `repository component "${component}" may contain only a-z, 0-9 and single separators (. _ __ -)`);
    }
  }
  const nameLength = (registry === DOCKER_HUB ? 0 : registry.length + 1) + repository.length;
  if (nameLength > NAME_MAX) throw usage(input, `name is ${nameLength} characters long; the limit is ${NAME_MAX}`);

  if (tag === undefined && digest === undefined && defaultTag) tag = DEFAULT_TAG;
  return Reflect.construct(Reference, [{ registry, repository, tag, digest }]) as Reference;
}

/** Parses a repository name (no tag, no digest), e.g. for `list-tags`. */
export function parseRepository(input: string): Reference {
  const ref = parseReference(input, { defaultTag: false });
  if (ref.tag !== undefined || ref.digest !== undefined) throw usage(input, 'a repository name takes no tag or digest', `use "${ref.name}"`);
  return ref;
}

/** Validates a tag on its own. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/**
 * `name:tag`, or `name@digest` when `tagOrDigest` is a digest (`sha256:...`;
 * a tag never holds a colon): how a sync job's tags, which may be digests,
 * join a repository name.
 */
export function joinTag(name: string, tagOrDigest: string): string {
  return `${name}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`;
}
