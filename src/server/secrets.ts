/**
 * Registry credentials at rest: AES-256-GCM with a 32-byte key that lives
 * outside the database (--secret-key-file, TUG_SECRET_KEY, or DATA/secret.key
 * for the embedded default). The store only ever sees the sealed string.
 *
 * Sealed format: `v1.` + base64url(iv[12] | tag[16] | ciphertext). The
 * object's identity (`Registry/namespace/name`) is bound in as additional
 * authenticated data, so a sealed value copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TugError } from '../errors/index.ts';

/** What a Registry's write-only credentials hold once decrypted. */
export interface RegistrySecret {
  password?: string | undefined;
  token?: string | undefined;
}

export interface Secrets {
  seal(plain: RegistrySecret, aad: string): string;
  open(sealed: string, aad: string): RegistrySecret;
}

const PREFIX = 'v1.';

export function createSecrets(key: Buffer): Secrets {
  if (key.length !== 32) throw new TugError('USAGE', `the secret key must be 32 bytes, got ${key.length}`, { hint: 'generate one with: head -c 32 /dev/urandom | base64' });
  return {
    seal(plain, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad));
      const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(sealed, aad) {
      if (!sealed.startsWith(PREFIX)) throw new TugError('INTERNAL', 'stored credentials are in an unknown format');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(aad));
        decipher.setAuthTag(raw.subarray(12, 28));
        const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
        return JSON.parse(plain) as RegistrySecret;
      } catch (err) {
        throw new TugError('INTERNAL', `stored credentials of ${aad} cannot be decrypted`, {
          cause: err,
          hint: 'the server runs with a different secret key than the one they were stored with; re-enter the credentials',
        });
      }
    },
  };
}

/** The AAD for a Registry's credentials. */
export function secretAad(namespace: string, name: string): string {
  return `Registry/${namespace}/${name}`;
}

/** Parses a key given as base64 (44 characters) or as 32 raw bytes in a file. */
export function parseKey(data: Buffer | string, what: string): Buffer {
  const text = (typeof data === 'string' ? data : data.toString('latin1')).trim();
  const decoded = /^[A-Za-z0-9+/=_-]+$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (decoded?.length === 32) return decoded;
  if (typeof data !== 'string' && data.length === 32) return data;
  throw new TugError('USAGE', `${what} must hold 32 bytes, base64-encoded`, { hint: 'generate one with: head -c 32 /dev/urandom | base64' });
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
