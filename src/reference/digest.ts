/**
 * Content digests. Only the two algorithms the OCI image spec registers are
 * accepted, in canonical lower-case hex: anything else is refused before it
 * can reach a path or a URL (a digest is used to name files on disk).
 */
import { TugError } from '../errors/index.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';
/** A validated digest string such as `sha256:` + 64 hex. */
export type Digest = `${DigestAlgorithm}:${string}`;

const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/**
 * Returns `s` as a {@link Digest} or throws UNSAFE_INPUT naming `what`.
 * Upper-case hex, other algorithms, and extra characters are all refused.
 */
export function parseDigest(s: unknown, what = 'digest'): Digest {
  if (isDigest(s)) return s;
  const shown = typeof s === 'string' ? JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s) : String(s);
  throw new TugError('UNSAFE_INPUT', `invalid ${what} ${shown}`, {
    hint: 'expected sha256:<64 lower-case hex> or sha512:<128 lower-case hex>',
  });
}

export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.slice(0, d.indexOf(':')) as DigestAlgorithm;
}

/** The hex part of a digest. Safe to use as a file name once the digest is validated. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** First 12 hex characters, as docker and skopeo print them. */
export function shortDigest(d: string): string {
  const i = d.indexOf(':');
  return d.slice(i + 1, i + 13);
}

/**
 * The tag that stands for `d` in the referrers tag schema (distribution spec
 * v1.1 "Referrers Tag Schema"): `<alg>-<hex>`, the algorithm cut to 32
 * characters and the hex to 64, as the spec says. cosign's `.sig`/`.att`/
 * `.sbom` tags are this name plus a suffix.
 */
export function referrersTag(d: Digest): string {
  const [alg = '', hex = ''] = d.split(':');
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`;
}
