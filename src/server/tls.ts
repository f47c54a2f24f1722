/**
 * HTTPS for `tug serve` (`--tls-cert-file` / `--tls-key-file`): loads a PEM
 * certificate (chain) and its private key, checks that they belong together,
 * and swaps renewed ones into the running server without a restart, on
 * SIGHUP (the CLI calls {@link TlsReloader.reload}) and when the files change.
 *
 * Why the watch is on the directory: cert-manager (a Kubernetes Secret
 * volume swaps its `..data` symlink) and certbot (`live/NAME/*.pem` symlinks
 * re-pointed) replace files by rename. A watch on the file itself keeps
 * watching the old inode and never fires again; a watch on its directory sees
 * every rename. Any event there (whatever the name: the Secret volume changes
 * `..data`, not `tls.crt`) starts a debounce, because a renewal touches the
 * certificate and the key moments apart; then the files are read again, and
 * files equal to those loaded change nothing.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { TugError } from '../errors/index.ts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** What the server serves: the PEM bytes and, for logs, the leaf certificate's identity. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  subject: string;
  /** SHA-256 fingerprint of the leaf certificate (`AA:BB:...`). */
  fingerprint256: string;
  validTo: string;
}

/**
 * Both flags or neither: undefined for plain HTTP.
 * @throws TugError USAGE when only one is given.
 */
export function tlsFiles(certFile: string | undefined, keyFile: string | undefined): TlsFiles | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    throw new TugError('USAGE', `--tls-cert-file and --tls-key-file go together: ${certFile ? '--tls-key-file' : '--tls-cert-file'} is missing`, {
      hint: 'give both to serve HTTPS, or neither to serve plain HTTP, e.g. behind an ingress that terminates TLS',
    });
  }
  return { certFile, keyFile };
}

/**
 * Reads and checks the pair: the certificate file must start with a PEM
 * certificate, the key file must hold an unencrypted private key, and the key
 * must be the certificate's.
 * @throws TugError USAGE naming the file at fault.
 */
export async function loadTls(files: TlsFiles): Promise<TlsMaterial> {
  const cert = await readPem(files.certFile, '--tls-cert-file');
  const key = await readPem(files.keyFile, '--tls-key-file');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new TugError('USAGE', `--tls-cert-file ${files.certFile}: not a PEM certificate (${opensslReason(err)})`);
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    throw new TugError('USAGE', `--tls-key-file ${files.keyFile}: not an unencrypted PEM private key (${opensslReason(err)})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const mismatch = (err as { code?: string }).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH';
    throw new TugError('USAGE', `--tls-key-file ${files.keyFile} ${mismatch ? 'is not the key of' : 'cannot be used with'} --tls-cert-file ${files.certFile}${mismatch ? '' : ` (${opensslReason(err)})`}`);
  }
  return { cert, key, subject: leaf.subject.replaceAll('\n', ', '), fingerprint256: leaf.fingerprint256, validTo: leaf.validTo };
}

async function readPem(file: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TugError('USAGE', `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
}

/** `error:05800074:x509 certificate routines::key values mismatch` -> `key values mismatch`. */
function opensslReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '');
}

export interface TlsReloaderOptions {
  files: TlsFiles;
  /** What the server serves now. */
  current: TlsMaterial;
  /** Installs new material (the https server's `setSecureContext`); called only with a checked pair. */
  apply: (material: TlsMaterial) => void;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Quiet time after the last file event before reloading (default 1000 ms). */
  debounceMs?: number | undefined;
}

export interface TlsReloader {
  /**
   * Reads the files again and installs them when they load and match;
   * otherwise logs one error line and keeps serving the previous pair.
   * Resolves true when the files now served are the files on disk.
   * Reloads never overlap.
   */
  reload(reason: 'SIGHUP' | 'file change'): Promise<boolean>;
  /** Stops watching. */
  close(): void;
}

/** Watches the files' directories and reloads on change; see the module comment. */
export function watchTls(options: TlsReloaderOptions): TlsReloader {
  const { files, apply, logger } = options;
  const debounceMs = options.debounceMs ?? 1000;
  let current = options.current;
  let queue: Promise<boolean> = Promise.resolve(true);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reloadNow = async (reason: 'SIGHUP' | 'file change'): Promise<boolean> => {
    let next: TlsMaterial;
    try {
      next = await loadTls(files);
    } catch (err) {
      const why = err instanceof TugError ? err.message : String(err);
      logger.error({ reason }, `TLS reload (${reason}) failed, still serving the previous certificate (${current.subject}, expires ${current.validTo}): ${why}`);
      return false;
    }
    // Events for other files in the directory, or a touch, change nothing.
    if (reason === 'file change' && next.cert.equals(current.cert) && next.key.equals(current.key)) return true;
    try {
      apply(next);
    } catch (err) {
      logger.error({ reason }, `TLS reload (${reason}) failed, still serving the previous certificate (${current.subject}): ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    current = next;
    logger.info({ reason, subject: next.subject, fingerprint256: next.fingerprint256, validTo: next.validTo }, `TLS certificate loaded (${reason}): ${next.subject}, expires ${next.validTo}`);
    return true;
  };

  const reload = (reason: 'SIGHUP' | 'file change'): Promise<boolean> => {
    queue = queue.then(() => reloadNow(reason));
    return queue;
  };

  const watchers: FSWatcher[] = [];
  for (const dir of new Set([files.certFile, files.keyFile].map((f) => dirname(resolve(f))))) {
    try {
      const w = watch(dir, { persistent: false }, () => {
        if (closed) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void reload('file change'), debounceMs);
        timer.unref?.();
      });
      w.on('error', (err) => {
        logger.warn({ dir, err }, `TLS: no longer watching ${dir} for certificate changes (send SIGHUP to reload): ${err.message}`);
        w.close();
      });
      watchers.push(w);
    } catch (err) {
      logger.warn({ dir, err }, `TLS: cannot watch ${dir} for certificate changes (send SIGHUP to reload): ${(err as Error).message}`);
    }
  }

  return {
    reload,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
