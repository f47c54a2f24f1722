/**
 * The check the copy engine runs on every image before it writes anything
 * (CopyOptions.policy): `--require-signed --key` and containers-policy.json.
 *
 * What is checked is the top-level manifest the source names (an index for
 * a multi-arch image), also when only one platform of it is copied: that is
 * the digest `cosign sign` signs and the one skopeo's policy check sees
 * (containers/image evaluates the policy on the unparsed top-level image).
 * Signatures of single instances are not consulted.
 */
import { readFile } from 'node:fs/promises';
import type { SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { pathExists } from '../fs/io.ts';
import type { Digest } from '../reference/index.ts';
import type { ImageReference } from '../transports/types.ts';
import type { PublicKey, SignatureVerdict } from './cosign.ts';
import { type KeySource, type Policy, type Requirement, defaultPolicyFiles, readPolicyFile, requirementsFor } from './policy.ts';
import { identityMatches } from './simple-signing.ts';

// cosign.ts and scope.ts load when a policy checks an image: a copy without
// --require-signed or a policy file (most of them) never does (issue 14 item 7:
// every module counts in a short command's start-up).
const cosign = () => import('./cosign.ts');
const scopeModule = () => import('./scope.ts');

/** The image a policy is asked about: as the source names it, the digest it resolved to, and how to read beside it. */
export interface PolicySubject {
  image: ImageReference;
  /** The top-level manifest's digest (verified by the engine). */
  digest: Digest;
  /** The source side's context (credentials, TLS), for reading signatures. */
  context: SystemContext;
  signal?: AbortSignal | undefined;
}

/**
 * Decides whether an image may be copied. `check` resolves when it may and
 * throws a TugError otherwise: POLICY (exit 3) naming the image and why
 * (unsigned, signed by another key, signature for another digest, rejected
 * by the policy), UNSUPPORTED for a rule Tugboat cannot verify. Stateless
 * between calls: one policy serves every image of a sync.
 */
export interface ImagePolicy {
  check(subject: PolicySubject): Promise<void>;
}

function name(s: PolicySubject): string {
  return `${s.image.toString()} (${s.digest})`;
}

/** Reads PEM keys from files; USAGE naming the file that is missing or not a public key. */
export async function readPublicKeys(files: readonly string[]): Promise<PublicKey[]> {
  return Promise.all(
    files.map(async (file) => {
      let pem: string;
      try {
        pem = await readFile(file, 'utf8');
      } catch (err) {
        throw new TugError('USAGE', `cannot read key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { hint: 'give the path of a cosign public key (cosign.pub)' });
      }
      return (await cosign()).parsePublicKey(pem, file);
    }),
  );
}

/**
 * Finds the cosign signatures of `digest` beside `image` and checks them
 * with `keys` (any one key suffices); `identity` further restricts the
 * docker-reference a payload may name. `unsigned` also for a source that
 * keeps no signatures (a local layout).
 */
export async function verifyImageSignature(
  image: ImageReference,
  digest: Digest,
  keys: readonly PublicKey[],
  ctx: SystemContext,
  options: { signal?: AbortSignal | undefined; identity?: ((dockerReference: string) => boolean) | undefined } = {},
): Promise<SignatureVerdict> {
  const { findCosignSignatures, verifySignatures } = await cosign();
  const found = await findCosignSignatures(image, digest, ctx, options.signal);
  return verifySignatures(found ?? [], keys, digest, options.identity);
}

async function refusal(subject: PolicySubject, verdict: Exclude<SignatureVerdict, { status: 'verified' }>, by: string): Promise<TugError> {
  if (verdict.status === 'unsigned') {
    const where = (await cosign()).canHoldSignatures(subject.image) ? 'no cosign signature found' : `signatures are not kept in ${subject.image.transport.name}: images`;
    return new TugError('POLICY', `${name(subject)} is not signed: ${where} (${by})`, { hint: 'sign it with cosign sign --key, or copy from where its signatures are' });
  }
  return new TugError('POLICY', `${name(subject)} has no valid signature: ${verdict.reason} (${by})`, { hint: 'check that the image and its signature come from the publisher whose key you gave' });
}

/**
 * `--require-signed --key K...`: the image must carry a cosign signature by
 * any one of `keys` whose payload names its digest. The docker-reference
 * in the payload is not compared, as `cosign verify` does not: a signature
 * stays valid for a copy of the image under another name.
 */
export function requireSignedBy(keys: readonly PublicKey[]): ImagePolicy {
  if (keys.length === 0) throw new TugError('USAGE', '--require-signed needs at least one --key', { hint: 'pass --key cosign.pub' });
  return {
    async check(subject) {
      const verdict = await verifyImageSignature(subject.image, subject.digest, keys, subject.context, { signal: subject.signal });
      if (verdict.status !== 'verified') throw await refusal(subject, verdict, '--require-signed');
    },
  };
}

async function keysOf(sources: readonly KeySource[], policy: Policy, cache: Map<string, Promise<PublicKey[]>>): Promise<PublicKey[]> {
  const out: PublicKey[] = [];
  for (const [i, s] of sources.entries()) {
    if ('path' in s) {
      let keys = cache.get(s.path);
      if (!keys) cache.set(s.path, (keys = readPublicKeys([s.path])));
      out.push(...(await keys));
    } else out.push((await cosign()).parsePublicKey(s.data, `${policy.file} keyData #${i + 1}`));
  }
  return out;
}

/**
 * The policy of a containers-policy.json (see ./policy.ts for the reading
 * and ./scope.ts for the scopes): every requirement of the most specific
 * scope must hold. `sigstoreSigned` with keys is verified against the
 * cosign signatures beside the image (the `.sig` tag and OCI referrers),
 * read whether or not registries.d sets use-sigstore-attachments (skopeo
 * reads them only when it does); `signedBy` (GPG) and keyless
 * `sigstoreSigned` (Fulcio, Rekor, PKI) are refused as unsupported.
 */
export function containersPolicy(policy: Policy): ImagePolicy {
  const keyCache = new Map<string, Promise<PublicKey[]>>();
  const meets = async (subject: PolicySubject, req: Requirement, where: string): Promise<void> => {
    switch (req.type) {
      case 'insecureAcceptAnything':
        return;
      case 'reject':
        throw new TugError('POLICY', `${name(subject)} is rejected by ${where}`, { hint: 'the policy refuses this image; change the policy, or pass --insecure-policy if you mean to skip it' });
      case 'signedBy':
        throw new TugError('UNSUPPORTED', `${name(subject)}: ${where} requires a GPG signature (signedBy), which Tugboat does not verify yet`, {
          hint: 'copy it with skopeo, or sign with cosign and use sigstoreSigned',
        });
      case 'sigstoreSigned': {
        if (req.keyless.length > 0) {
          throw new TugError('UNSUPPORTED', `${name(subject)}: ${where} uses ${req.keyless.join(', ')} (keyless sigstore verification), which Tugboat does not verify yet`, {
            hint: 'use sigstoreSigned with keyPath or keyData, or copy it with skopeo',
          });
        }
        const keys = await keysOf(req.keys, policy, keyCache);
        const imageRef = (await scopeModule()).registryNameOf(subject.image);
        const verdict = await verifyImageSignature(subject.image, subject.digest, keys, subject.context, {
          signal: subject.signal,
          identity: (signed) => identityMatches(req.signedIdentity, imageRef, signed),
        });
        if (verdict.status !== 'verified') throw await refusal(subject, verdict, where);
        return;
      }
    }
  };
  return {
    async check(subject) {
      const { transport, scopes } = (await scopeModule()).scopesOf(subject.image);
      const { scope, requirements } = requirementsFor(policy, transport, scopes);
      const where = `${policy.file} ${scope}`;
      for (const req of requirements) await meets(subject, req, where);
    },
  };
}

/** Every policy must accept the image (run in order; the first refusal is thrown). */
export function allOf(policies: readonly ImagePolicy[]): ImagePolicy {
  return {
    async check(subject) {
      for (const p of policies) await p.check(subject);
    },
  };
}

/** What the CLI's flags say about policies; see {@link loadImagePolicy}. */
export interface PolicyOptions {
  /** `--policy PATH`: this file, which must exist. */
  policyPath?: string | undefined;
  /** `--insecure-policy`: no containers-policy.json at all (an explicit --require-signed still applies). */
  insecurePolicy?: boolean | undefined;
  /** `--require-signed`. */
  requireSigned?: boolean | undefined;
  /** `--key` files (PEM public keys); any one signing the image suffices. */
  keyFiles?: readonly string[] | undefined;
  /** For the default file locations (HOME). */
  env?: NodeJS.ProcessEnv | undefined;
}

/**
 * The policy a copy or sync runs under, undefined when nothing is to be
 * checked. Without --policy the first default file that exists is used
 * (`$HOME/.config/containers/policy.json`, `/etc/containers/policy.json`),
 * so a machine set up for skopeo and podman behaves the same; where neither
 * exists Tugboat accepts any image (skopeo fails instead), as it always has.
 */
export async function loadImagePolicy(options: PolicyOptions): Promise<ImagePolicy | undefined> {
  const keyFiles = options.keyFiles ?? [];
  if (keyFiles.length > 0 && !options.requireSigned) {
    throw new TugError('USAGE', '--key is used only with --require-signed', { hint: 'add --require-signed to refuse images without a signature by the key' });
  }
  const policies: ImagePolicy[] = [];
  if (options.requireSigned) policies.push(requireSignedBy(await readPublicKeys(keyFiles)));
  if (options.insecurePolicy) {
    if (options.policyPath !== undefined) throw new TugError('USAGE', '--policy conflicts with --insecure-policy', { hint: 'use one of them' });
  } else {
    let file = options.policyPath;
    if (file === undefined) {
      for (const f of defaultPolicyFiles(options.env)) {
        if (await pathExists(f)) {
          file = f;
          break;
        }
      }
    }
    if (file !== undefined) policies.push(containersPolicy(await readPolicyFile(file)));
  }
  if (policies.length === 0) return undefined;
  return policies.length === 1 ? policies[0] : allOf(policies);
}
