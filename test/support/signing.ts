/**
 * Signatures and artifacts as cosign and OCI 1.1 tools write them, built
 * with node:crypto and pushed with plain HTTP (not Tugboat's client):
 *
 * - cosign's key pair: ECDSA P-256; `cosign.pub` is the SPKI PEM.
 * - a cosign signature image (tag scheme `sha256-<hex>.sig`): an OCI
 *   manifest whose one layer is the simple-signing payload
 *   (`application/vnd.dev.cosign.simplesigning.v1+json`), its base64 DER
 *   ECDSA-SHA256 signature in the layer annotation
 *   `dev.cosignproject.cosign/signature`.
 * - an OCI 1.1 referrer: a manifest with `artifactType` and `subject`, its
 *   config the empty descriptor `{}`.
 */
import { type KeyObject, createSign, generateKeyPairSync, sign } from 'node:crypto';
import { type Blob, type GeneratedImage, type PushTarget, pushImage, sha256 } from './images.ts';

export const SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const EMPTY_JSON = 'application/vnd.oci.empty.v1+json';

export interface CosignKeyPair {
  privateKey: KeyObject;
  /** What `cosign generate-key-pair` writes to cosign.pub (SPKI, PEM). */
  publicKeyPem: string;
}

/** A fresh ECDSA P-256 key pair, as cosign uses. */
export function generateCosignKeyPair(): CosignKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function blob(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

/** An image whose one manifest is `doc` (its blobs given): the shape pushImage takes. */
function single(doc: object, blobs: Blob[]): GeneratedImage {
  const bytes = Buffer.from(JSON.stringify(doc));
  const top = { bytes, digest: sha256(bytes), mediaType: OCI_MANIFEST };
  return { flavour: 'oci', top, manifests: [], blobs: new Map(blobs.map((b) => [b.digest, b])) };
}

/**
 * cosign's signature image for `manifestDigest` under the name
 * `dockerReference` (the repository, as cosign signs it), signed with
 * `privateKey`. `payload` and `signature` are returned for checks.
 */
export function cosignSignatureImage(options: {
  dockerReference: string;
  manifestDigest: string;
  privateKey: KeyObject;
  /** Stores other bytes than the ones signed (a tampered payload, with its own layer digest). */
  storedPayload?: (signed: Buffer) => Buffer;
}): { image: GeneratedImage; payload: Buffer; signature: string } {
  const payload = Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': options.dockerReference }, image: { 'docker-manifest-digest': options.manifestDigest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
  // cosign signs SHA-256 digests with ECDSA and RSA keys, and the payload itself with Ed25519.
  const signature = (options.privateKey.asymmetricKeyType === 'ed25519' ? sign(null, payload, options.privateKey) : createSign('sha256').update(payload).sign(options.privateKey)).toString('base64');
  const layer = blob(SIMPLE_SIGNING_TYPE, options.storedPayload ? options.storedPayload(payload) : payload);
  const config = blob(
    OCI_CONFIG,
    Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })),
  );
  const doc = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
    layers: [{ mediaType: layer.mediaType, size: layer.size, digest: layer.digest, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature } }],
  };
  return { image: single(doc, [config, layer]), payload, signature };
}

/** cosign's tag for an artifact of `subject`: `sha256-<hex>.<kind>`. */
export function cosignTag(subject: string, kind: 'sig' | 'att' | 'sbom' = 'sig'): string {
  return `${subject.replace(':', '-')}.${kind}`;
}

/** Pushes a signature image as cosign does: to the tag `sha256-<hex>.sig` of the image's repository. Returns its manifest digest. */
export async function pushSignature(target: Omit<PushTarget, 'tag'>, subject: string, signature: { image: GeneratedImage }): Promise<string> {
  await pushImage({ ...target, tag: cosignTag(subject) }, signature.image);
  return signature.image.top.digest;
}

/**
 * An OCI 1.1 referrer of `subject` (`{digest, size, mediaType}` of the
 * image's top-level manifest): artifactType, the empty config, one layer
 * holding `content` (e.g. an SPDX document).
 */
export function referrerImage(options: { subject: { digest: string; size: number; mediaType: string }; artifactType: string; content: Buffer | string; annotations?: Record<string, string> }): GeneratedImage {
  const empty = blob(EMPTY_JSON, Buffer.from('{}'));
  const layer = blob(options.artifactType, Buffer.from(options.content));
  const doc = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: options.artifactType,
    config: { mediaType: empty.mediaType, size: empty.size, digest: empty.digest },
    layers: [{ mediaType: layer.mediaType, size: layer.size, digest: layer.digest }],
    subject: options.subject,
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  return single(doc, [empty, layer]);
}

/**
 * Pushes a referrer by digest and, when `fallbackIndex` is true (a registry
 * without the referrers API), adds it to the subject's referrers tag schema
 * index `sha256-<hex>` the way the spec tells a client to (read, append,
 * write). Returns the referrer's digest.
 */
export async function pushReferrer(target: Omit<PushTarget, 'tag'>, referrer: GeneratedImage, options: { fallbackIndex: boolean }): Promise<string> {
  const { fetch } = await import('undici');
  await pushImage({ ...target, tag: referrer.top.digest }, referrer);
  if (!options.fallbackIndex) return referrer.top.digest;
  const doc = JSON.parse(referrer.top.bytes.toString()) as { artifactType: string; subject: { digest: string }; annotations?: Record<string, string> };
  const tag = doc.subject.digest.replace(':', '-');
  const base = `${target.url}/v2/${target.repository}/manifests/${tag}`;
  const got = await fetch(base, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  const index = got.status === 200 ? ((await got.json()) as { manifests: object[] }) : { manifests: [] };
  index.manifests.push({ mediaType: OCI_MANIFEST, digest: referrer.top.digest, size: referrer.top.bytes.length, artifactType: doc.artifactType, ...(doc.annotations ? { annotations: doc.annotations } : {}) });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index.manifests }));
  const put = await fetch(base, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: bytes });
  if (put.status !== 201) throw new Error(`referrers index ${tag}: ${put.status} ${await put.text()}`);
  return referrer.top.digest;
}
