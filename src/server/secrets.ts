/**
 * Registry credentials at rest: AES-256-GCM with a 32-byte key that lives
 * outside the database (--secret-key-file, TUG_SECRET_KEY, or DATA/secret.key
 * for the embedded default). The store only ever sees the sealed string.
 *
 * Sealed format: `VERSION.` + base64url(iv[12] | tag[16] | ciphertext); the
 * version names what is bound in as additional authenticated data:
 *
 * - `v1` (before issue 10): the object's identity, `Registry/namespace/name`,
 *   so a sealed value copied onto another row does not open.
 * - `v2` (every new seal): the identity and the endpoint the credentials are
 *   for ({@link registryEndpoint}: normalised URL and scheme, insecure, the
 *   caBundle's hash), so credentials never open for another host, scheme or
 *   trust: whoever changes where they would go must supply them again.
 *
 * v1 values still open (with the identity alone) until the Registry is next
 * edited, which seals them again as v2.
 *
 * Key rotation follows Kubernetes' EncryptionConfiguration: one current key
 * seals, previous keys (--previous-secret-key-file) only open, and
 * `tug serve rotate-secrets` seals every stored value again with the current
 * key, after which the previous keys can go. GCM's tag tells the keys apart,
 * so the sealed format needs no key id.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseRegistryUrl } from '../api/schema.ts';
import type { Registry } from '../api/types.ts';
import { TugError } from '../errors/index.ts';

/** What a Registry's write-only credentials hold once decrypted. */
export interface RegistrySecret {
  password?: string | undefined;
  token?: string | undefined;
}

/** The sealed format versions {@link Secrets.open} reads; {@link Secrets.seal} writes the last. */
export type SealVersion = 'v1' | 'v2';

export interface Secrets {
  /** Seals `plain` in the current format (v2) with `aad` bound in. */
  seal(plain: RegistrySecret, aad: string): string;
  /**
   * Opens a sealed value with the current key or, failing that, a previous
   * one; `aad` is the AAD, or gives it for the value's version. Throws
   * INTERNAL when no key opens it.
   */
  open(sealed: string, aad: string | ((version: SealVersion) => string)): RegistrySecret;
  /** True when `sealed` is in the current format and opens with the current key (nothing to rotate). */
  isCurrent(sealed: string, aad: string | ((version: SealVersion) => string)): boolean;
}

const CURRENT: SealVersion = 'v2';
const VERSIONS: readonly SealVersion[] = ['v1', 'v2'];

/** The version a sealed value was written with, or undefined for an unknown format. */
export function sealVersion(sealed: string): SealVersion | undefined {
  return VERSIONS.find((v) => sealed.startsWith(`${v}.`));
}

function openWith(key: Buffer, raw: Buffer, aad: string): RegistrySecret {
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  return JSON.parse(plain) as RegistrySecret;
}

/**
 * Seals with `key`; opens with `key`, then each of `previous` (keys being
 * rotated out, see the module comment).
 */
export function createSecrets(key: Buffer, previous: readonly Buffer[] = []): Secrets {
  for (const k of [key, ...previous]) {
    if (k.length !== 32) throw new TugError('USAGE', `the secret key must be 32 bytes, got ${k.length}`, { hint: 'generate one with: head -c 32 /dev/urandom | base64' });
  }
  const parse = (sealed: string, aadFor: string | ((version: SealVersion) => string)) => {
    const version = sealVersion(sealed);
    if (!version) throw new TugError('INTERNAL', 'stored credentials are in an unknown format', { hint: 'a newer Tugboat may have written them' });
    const aad = typeof aadFor === 'string' ? aadFor : aadFor(version);
    return { version, aad, raw: Buffer.from(sealed.slice(version.length + 1), 'base64url') };
  };
  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad));
      const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return `${CURRENT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed, aadFor) {
      const { aad, raw } = parse(sealed, aadFor);
      let cause: unknown;
      for (const k of [key, ...previous]) {
        try {
          return openWith(k, raw, aad);
        } catch (err) {
          cause ??= err;
        }
      }
      throw new TugError('INTERNAL', `stored credentials of ${aad.split('\n')[0]} cannot be decrypted`, {
        cause,
        hint: 'they were stored for another endpoint, or with a secret key this server does not have (give the old one with --previous-secret-key-file); else re-enter the credentials',
      });
    },
    isCurrent(sealed, aadFor) {
      const { version, aad, raw } = parse(sealed, aadFor);
      if (version !== CURRENT) return false;
      try {
        openWith(key, raw, aad);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** The v1 AAD of a Registry's credentials: its identity only. */
export function secretAad(namespace: string, name: string): string {
  return `Registry/${namespace}/${name}`;
}

type RegistrySpec = Registry['spec'];

/**
 * The parts of a Registry that decide where its credentials go, each as a
 * normalised value: two specs with equal values send them to the same place
 * over the same kind of connection. `https://h:443`, `h` and `H` are one URL;
 * `http://h` and `h` with plainHTTP are one scheme.
 */
export const ENDPOINT_FIELDS: readonly (readonly [field: string, value: (spec: RegistrySpec) => string | undefined])[] = [
  [
    'spec.url',
    (spec) => {
      const e = parseRegistryUrl(spec.url);
      return 'error' in e ? `invalid:${spec.url}` : e.host;
    },
  ],
  [
    'spec.plainHTTP',
    (spec) => {
      const e = parseRegistryUrl(spec.url);
      return String(spec.plainHTTP === true || (!('error' in e) && e.plainHTTP));
    },
  ],
  ['spec.insecure', (spec) => String(spec.insecure === true)],
  ['spec.caBundle', (spec) => (spec.caBundle === undefined ? '-' : `sha256:${createHash('sha256').update(spec.caBundle).digest('hex')}`)],
  // Through a proxy the credentials pass the proxy (in clear for a plain-HTTP
  // or insecure registry): a new proxy must be given them again. Unset adds
  // nothing to the binding, so values sealed before the field existed open.
  ['spec.proxy', (spec) => spec.proxy],
];

/** The endpoint binding of a Registry's credentials: `spec.url=h;spec.plainHTTP=false;...` (a field whose value is undefined is left out). */
export function registryEndpoint(spec: RegistrySpec): string {
  return ENDPOINT_FIELDS.flatMap(([field, value]) => {
    const v = value(spec);
    return v === undefined ? [] : [`${field}=${v}`];
  }).join(';');
}

/** The endpoint fields that differ between two specs (empty: credentials may stay). */
export function endpointChanges(before: RegistrySpec, after: RegistrySpec): string[] {
  return ENDPOINT_FIELDS.filter(([, value]) => value(before) !== value(after)).map(([field]) => field);
}

/** The AAD binding a Registry's credentials, per sealed version. */
export function registrySecretAad(registry: Registry, version: SealVersion = CURRENT): string {
  const identity = secretAad(registry.metadata.namespace, registry.metadata.name);
  return version === 'v1' ? identity : `${identity}\n${registryEndpoint(registry.spec)}`;
}

/** Seals a Registry's credentials bound to its identity and current endpoint. */
export function sealRegistrySecret(secrets: Secrets, registry: Registry, secret: RegistrySecret): string {
  return secrets.seal(secret, registrySecretAad(registry));
}

/** Opens a Registry's stored credentials; they open only for the endpoint they were sealed for (v2). */
export function openRegistrySecret(secrets: Secrets, registry: Registry, sealed: string): RegistrySecret {
  return secrets.open(sealed, (version) => registrySecretAad(registry, version));
}

/** Parses a key given as base64 (44 characters) or as 32 raw bytes in a file. */
export function parseKey(data: Buffer | string, what: string): Buffer {
  const text = (typeof data === 'string' ? data : data.toString('latin1')).trim();
  const decoded = /^[A-Za-z0-9+/=_-]+$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (decoded?.length === 32) return decoded;
  if (typeof data !== 'string' && data.length === 32) return data;
  throw new TugError('USAGE', `${what} must hold 32 bytes, base64-encoded`, { hint: 'generate one with: head -c 32 /dev/urandom | base64' });
}

/** Reads the keys being rotated out (--previous-secret-key-file, repeatable). */
export async function loadPreviousKeys(files: readonly string[] | undefined): Promise<Buffer[]> {
  return Promise.all((files ?? []).map(async (f) => parseKey(await readFile(f), `--previous-secret-key-file ${f}`)));
}

/**
 * Where the key comes from, in order: `keyFile`, env TUG_SECRET_KEY, then
 * (only when `generatedPath` is given, i.e. the embedded SQLite default)
 * `generatedPath`, created with mode 0600 on first start.
 */
export async function loadSecretKey(options: { keyFile?: string | undefined; env?: string | undefined; generatedPath?: string | undefined }): Promise<{ key: Buffer; source: string }> {
  if (options.keyFile) return { key: parseKey(await readFile(options.keyFile), `--secret-key-file ${options.keyFile}`), source: options.keyFile };
  if (options.env) return { key: parseKey(options.env, 'TUG_SECRET_KEY'), source: 'TUG_SECRET_KEY' };
  if (!options.generatedPath) {
    throw new TugError('USAGE', 'no secret key for registry credentials', {
      hint: 'every replica must share one: pass --secret-key-file FILE or set TUG_SECRET_KEY (head -c 32 /dev/urandom | base64)',
    });
  }
  try {
    return { key: parseKey(await readFile(options.generatedPath), options.generatedPath), source: options.generatedPath };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(options.generatedPath), { recursive: true });
  const key = randomBytes(32);
  await writeFile(options.generatedPath, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(options.generatedPath, 0o600);
  return { key, source: `${options.generatedPath} (generated)` };
}
