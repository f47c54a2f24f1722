/**
 * The "simple signing" payload that both cosign and containers/image sign
 * (containers-signature(5), cosign's `payload` package), and the
 * `signedIdentity` rules of containers-policy.json(5) that decide whether the
 * `docker-reference` a signature names fits the image being copied.
 *
 * Pure: bytes in, values out; nothing here reads a network or a file.
 */
import { TugError } from '../errors/index.ts';
import { type Digest, type Reference, isDigest, parseReference } from '../reference/index.ts';

/** cosign's `critical.type`; containers/image writes `atomic container signature`, which is accepted too. */
export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';
const PAYLOAD_TYPES: ReadonlySet<string> = new Set([COSIGN_PAYLOAD_TYPE, 'atomic container signature']);
/** A payload bigger than this is not a simple-signing document (cosign's are a few hundred bytes). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** What a signature payload claims: this manifest digest, under this name. */
export interface SimpleSigningPayload {
  /** `critical.identity.docker-reference`, as written (not normalised). */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`. */
  manifestDigest: Digest;
}

function bad(what: string, problem: string): TugError {
  return new TugError('POLICY', `${what}: ${problem}`, { hint: 'the signature was not made by cosign or containers/image, or was altered' });
}

/** Parses and checks a payload; POLICY naming `what` when it is not a simple-signing document. */
export function parseSimpleSigning(bytes: Uint8Array, what: string): SimpleSigningPayload {
  if (bytes.length > MAX_PAYLOAD_BYTES) throw bad(what, `the payload is ${bytes.length} bytes, more than a signature payload can be`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad(what, 'the payload is not JSON');
  }
  const critical = (doc as { critical?: unknown } | null)?.critical as { type?: unknown; identity?: { 'docker-reference'?: unknown }; image?: { 'docker-manifest-digest'?: unknown } } | undefined;
  if (typeof critical !== 'object' || critical === null) throw bad(what, 'the payload has no "critical" object');
  if (typeof critical.type !== 'string' || !PAYLOAD_TYPES.has(critical.type)) throw bad(what, `critical.type is ${JSON.stringify(critical.type)}, not "${COSIGN_PAYLOAD_TYPE}"`);
  const ref = critical.identity?.['docker-reference'];
  if (typeof ref !== 'string') throw bad(what, 'critical.identity.docker-reference is missing');
  const digest = critical.image?.['docker-manifest-digest'];
  if (!isDigest(digest)) throw bad(what, 'critical.image.docker-manifest-digest is not a digest');
  return { dockerReference: ref, manifestDigest: digest };
}

/** containers-policy.json(5) `signedIdentity`: how a signature's docker-reference must relate to the image. */
export type SignedIdentity =
  | { type: 'matchExact' }
  | { type: 'matchRepoDigestOrExact' }
  | { type: 'matchRepository' }
  | { type: 'exactReference'; dockerReference: string }
  | { type: 'exactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

/** The default of containers-policy.json(5) when `signedIdentity` is absent. */
export const DEFAULT_SIGNED_IDENTITY: SignedIdentity = { type: 'matchRepoDigestOrExact' };

function parseRef(s: string): Reference | undefined {
  try {
    return parseReference(s, { defaultTag: false });
  } catch {
    return undefined;
  }
}

function sameExact(a: Reference, b: Reference): boolean {
  return a.name === b.name && a.tag === b.tag && a.digest === b.digest;
}

/**
 * True when a signature naming `signed` fits an image known as `image`
 * under `rule`. `image` is undefined for a source with no registry name (a
 * local layout): then only `exactReference` / `exactRepository` can match,
 * as containers/image has it. Comparisons use normalised names
 * (`busybox` = `docker.io/library/busybox:latest`).
 */
export function identityMatches(rule: SignedIdentity, image: Reference | undefined, signed: string): boolean {
  const sig = parseRef(signed);
  if (!sig) return false;
  switch (rule.type) {
    case 'matchExact':
      // Digests are not identities here: a signature for a tag only.
      return image !== undefined && image.digest === undefined && sig.digest === undefined && sameExact(image, sig);
    case 'matchRepoDigestOrExact':
      if (!image) return false;
      return image.digest !== undefined ? image.name === sig.name : sameExact(image, sig);
    case 'matchRepository':
      return image !== undefined && image.name === sig.name;
    case 'exactReference': {
      const want = parseRef(rule.dockerReference);
      return want !== undefined && sameExact(want, sig);
    }
    case 'exactRepository': {
      const want = parseRef(rule.dockerRepository);
      return want !== undefined && want.name === sig.name;
    }
    case 'remapIdentity': {
      if (!image) return false;
      const full = image.toString();
      const mapped = remap(full, rule.prefix, rule.signedPrefix);
      const remapped = mapped === undefined ? image : parseRef(mapped);
      return remapped !== undefined && identityMatches(DEFAULT_SIGNED_IDENTITY, remapped, signed);
    }
  }
}

/**
 * containers-policy.json(5) remapIdentity: `prefix` matches the whole name
 * or a leading part of it ending at `/`, `:` or `@`; that part is replaced
 * by `signedPrefix`. Undefined when it does not match.
 */
function remap(name: string, prefix: string, signedPrefix: string): string | undefined {
  if (name === prefix) return signedPrefix;
  if (!name.startsWith(prefix)) return undefined;
  const next = name[prefix.length];
  if (prefix.endsWith('/') || next === '/' || next === ':' || next === '@') return signedPrefix + name.slice(prefix.length);
  return undefined;
}

/** The digest of a sha256 digest in cosign's tag spelling: `sha256:abc` -> `sha256-abc`. */
export function digestTagPart(digest: Digest): string {
  return digest.replace(':', '-');
}
