/**
 * cosign signatures with a key pair (cosign's `sign --key` / `verify --key`
 * format): where they are found beside an image, and checking them with
 * node:crypto.
 *
 * A cosign signature is an OCI image manifest stored under the tag
 * `sha256-<hex>.sig` of the image's repository (or, with OCI 1.1, a
 * referrer of the image). Each of its layers of media type
 * `application/vnd.dev.cosign.simplesigning.v1+json` is a simple-signing
 * payload (./simple-signing.ts), with the base64 DER signature of that payload
 * in the layer annotation `dev.cosignproject.cosign/signature`.
 *
 * Sources are raw (src/transports/types.ts): every manifest and payload read
 * here is checked against its digest before it is believed.
 */
import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { SystemContext } from '../context/system-context.ts';
import { TugError, errorCode } from '../errors/index.ts';
import { type Descriptor, parseManifest } from '../oci/manifest.ts';
import { verifyBytes, verifyingStream } from '../oci/verify.ts';
import type { Digest } from '../reference/index.ts';
import { type ImageReference, type ImageSource, isReferrerStore } from '../transports/types.ts';
import { MAX_PAYLOAD_BYTES, type SimpleSigningPayload, digestTagPart, parseSimpleSigning } from './simple-signing.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The artifactType cosign gives a signature it writes as an OCI 1.1 referrer (`--registry-referrers-mode=oci-1-1`, key-pair format). */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** At most this many signature layers / referrers are read per image: a hostile store cannot make a check endless. */
const MAX_SIGNATURES = 64;

/** One public key a signature may be made by, with the name a message shows for it (its file). */
export interface PublicKey {
  name: string;
  key: KeyObject;
}

/**
 * Reads a PEM public key as cosign accepts one: SPKI (`-----BEGIN PUBLIC
 * KEY-----`) of ECDSA (P-256, cosign's default; P-384, P-521), RSA or
 * Ed25519. USAGE naming `name` otherwise (a private key is refused: it is a
 * secret and never needed to verify).
 */
export function parsePublicKey(pem: string, name: string): PublicKey {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new TugError('USAGE', `${name} is a private key`, { hint: 'give the public key (cosign.pub), never the private one' });
  }
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new TugError('USAGE', `${name} is not a PEM public key`, { hint: 'expected "-----BEGIN PUBLIC KEY-----" as cosign generate-key-pair writes cosign.pub' });
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new TugError('USAGE', `${name} is not a readable public key: ${(err as Error).message}`, { hint: 'expected an SPKI PEM public key (ECDSA, RSA or Ed25519)' });
  }
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519') {
    throw new TugError('USAGE', `${name} is a ${type ?? 'unknown'} key, which cosign does not sign with`, { hint: 'use an ECDSA (P-256), RSA or Ed25519 public key' });
  }
  return { name, key };
}

/**
 * True when `signature` (DER, as cosign's base64 annotation decodes) is a
 * signature of `payload` by `key`: SHA-256 for ECDSA and RSA (PKCS#1 v1.5),
 * as cosign signs with every key type; Ed25519 over the payload itself.
 */
export function verifyWithKey(payload: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, payload, key, signature);
    return verify('sha256', payload, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    // A malformed signature (not DER, wrong length) is simply not a valid one.
    return false;
  }
}

/** A signature as found beside an image: its payload (digest-checked) and the signature bytes. */
export interface FoundSignature {
  payload: Uint8Array;
  signature: Uint8Array;
  /** Where it came from, for messages: `sha256-<hex>.sig` or `referrer sha256:...`. */
  where: string;
  /** Set when the payload's bytes do not match the layer digest naming them: never believed. */
  problem?: string | undefined;
}

/**
 * The reference naming another manifest of the same repository, through the
 * transport's ReferrerStore capability (docker://, registry-dir:).
 * Undefined when the transport keeps nothing beside its images.
 */
function sibling(image: ImageReference, name: { tag: string } | { digest: Digest }): ImageReference | undefined {
  return isReferrerStore(image) ? image.sibling(name) : undefined;
}

/** True when signatures can be looked up beside `image` (a registry source). */
export function canHoldSignatures(image: ImageReference): boolean {
  return isReferrerStore(image);
}

async function readPayload(source: ImageSource, desc: Descriptor, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (desc.size > MAX_PAYLOAD_BYTES) throw new TugError('POLICY', `signature payload ${desc.digest} is ${desc.size} bytes, more than a signature payload can be`);
  const stream = await source.getBlob(desc, { signal });
  const verifier = verifyingStream(desc, `signature payload ${desc.digest}`);
  stream.once('error', (err) => verifier.destroy(err));
  return buffer(stream.pipe(verifier));
}

/** The signatures in one signature manifest (`pinned`: the digest it must have, for a referrer). */
async function signaturesIn(ref: ImageReference, where: string, pinned: Digest | undefined, ctx: SystemContext, signal: AbortSignal | undefined): Promise<FoundSignature[]> {
  const source = await ref.newSource(ctx);
  try {
    let raw;
    try {
      raw = await source.getManifest(undefined, { signal });
    } catch (err) {
      if (errorCode(err) === 'NOT_FOUND') return [];
      throw err;
    }
    const expected = pinned ?? raw.claimedDigest;
    if (expected) verifyBytes(raw.bytes, expected, `signature manifest ${where}`);
    const parsed = parseManifest(raw.bytes, raw.mediaType, `signature manifest ${where}`);
    if (parsed.kind !== 'image') return [];
    const found: FoundSignature[] = [];
    for (const layer of parsed.manifest.layers.slice(0, MAX_SIGNATURES)) {
      const b64 = layer.annotations?.[SIGNATURE_ANNOTATION];
      if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || typeof b64 !== 'string') continue;
      const signature = Buffer.from(b64, 'base64');
      if (signature.length === 0) continue;
      try {
        found.push({ payload: await readPayload(source, layer, signal), signature, where });
      } catch (err) {
        // A payload that is not what its layer digest says was altered: an invalid signature, not a failed lookup.
        if (errorCode(err) !== 'INTEGRITY' && errorCode(err) !== 'POLICY') throw err;
        found.push({ payload: new Uint8Array(), signature, where, problem: (err as Error).message });
      }
    }
    return found;
  } finally {
    await source.close();
  }
}

/**
 * Every cosign key-pair signature of the manifest `digest` beside `image`:
 * the `sha256-<hex>.sig` tag, and the OCI 1.1 referrers of cosign's
 * signature artifact type where the transport lists referrers. Empty when
 * there is none; undefined when the transport keeps nothing beside its
 * images (a local layout). Throws the source's error for anything but a
 * missing signature tag (a registry that fails is not "unsigned").
 */
export async function findCosignSignatures(image: ImageReference, digest: Digest, ctx: SystemContext, signal?: AbortSignal): Promise<FoundSignature[] | undefined> {
  const tag = `${digestTagPart(digest)}.sig`;
  const tagRef = sibling(image, { tag });
  if (!tagRef) return undefined;
  const found = await signaturesIn(tagRef, tag, undefined, ctx, signal);
  if (isReferrerStore(image)) {
    const listing = await image.listReferrers(ctx, digest, { signal });
    for (const d of listing.descriptors.slice(0, MAX_SIGNATURES)) {
      if (d.artifactType !== COSIGN_SIGNATURE_ARTIFACT_TYPE) continue;
      found.push(...(await signaturesIn(image.sibling({ digest: d.digest }), `referrer ${d.digest}`, d.digest, ctx, signal)));
    }
  }
  return found;
}

/** What checking an image's signatures found. */
export type SignatureVerdict =
  | { status: 'verified'; key: string; payload: SimpleSigningPayload; where: string }
  | { status: 'unsigned' }
  | { status: 'invalid'; reason: string };

/**
 * Checks `found` against `keys`: `verified` as soon as one signature is a
 * valid signature by any one of the keys over a payload that names
 * `digest` (and, when `identity` is given, whose docker-reference it
 * accepts). Otherwise `invalid` with the reason of the closest miss
 * (wrong key, payload for another digest, bad payload), or `unsigned`
 * when there was nothing to check.
 */
export function verifySignatures(
  found: readonly FoundSignature[],
  keys: readonly PublicKey[],
  digest: Digest,
  identity?: (dockerReference: string) => boolean,
): SignatureVerdict {
  if (found.length === 0) return { status: 'unsigned' };
  // The most telling reason wins: a good signature over the wrong content says more than a foreign key.
  let reason = '';
  let rank = -1;
  const miss = (r: number, text: string) => {
    if (r > rank) [rank, reason] = [r, text];
  };
  for (const sig of found) {
    if (sig.problem !== undefined) {
      miss(1, `the signature payload in ${sig.where} was altered: ${sig.problem}`);
      continue;
    }
    const key = keys.find((k) => verifyWithKey(sig.payload, sig.signature, k.key));
    if (!key) {
      miss(0, `the signature in ${sig.where} does not verify with ${keys.length === 1 ? keys[0]!.name : `any of ${keys.map((k) => k.name).join(', ')}`} (signed by another key, or its payload was altered)`);
      continue;
    }
    let payload: SimpleSigningPayload;
    try {
      payload = parseSimpleSigning(sig.payload, `signature in ${sig.where}`);
    } catch (err) {
      miss(1, (err as Error).message);
      continue;
    }
    if (payload.manifestDigest !== digest) {
      miss(2, `the signature in ${sig.where} is for ${payload.manifestDigest}, not ${digest}`);
      continue;
    }
    if (identity && !identity(payload.dockerReference)) {
      miss(3, `the signature in ${sig.where} names ${payload.dockerReference}, which the policy's signedIdentity does not accept`);
      continue;
    }
    return { status: 'verified', key: key.name, payload, where: sig.where };
  }
  return { status: 'invalid', reason };
}
