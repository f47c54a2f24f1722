/**
 * TLS settings for one registry, following containers-certs.d(5): in the
 * registry's certificate directory, `*.crt` files are extra CAs (added to
 * Node's default roots, not replacing them) and each `NAME.cert` with a
 * matching `NAME.key` is a client certificate. When the caller gives no
 * directory, `/etc/containers/certs.d/HOST[:PORT]` and
 * `/etc/docker/certs.d/HOST[:PORT]` are read if they exist.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../errors/index.ts';
import { type EgressPolicy, egressLookup, literalRefusal } from './egress.ts';

/** The connect options handed to undici (a subset of tls.ConnectionOptions). */
export interface TlsSettings {
  rejectUnauthorized: boolean;
  /** Default roots plus the directory's CAs; undefined when there are no extra CAs (Node's defaults apply). */
  ca?: string[];
  cert?: string;
  key?: string;
  /** The files that were read, for a stable cache key and for messages. */
  sources: string[];
}

/** Directories searched for `host` when no cert dir is given, in order. */
export function defaultCertDirs(host: string): string[] {
  return [join('/etc/containers/certs.d', host), join('/etc/docker/certs.d', host)];
}

async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new TugError('IO', `reading certificate directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

async function readCertFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new TugError('IO', `reading ${path}: ${(err as Error).message}`, { cause: err, hint: 'check the --cert-dir contents and permissions' });
  }
}

/**
 * Loads the TLS settings for `host` (`registry.example:5000`). `certDir`, when
 * given, must exist (a typo should not silently fall back to no CAs);
 * default directories are optional. `caCertificates` (PEM) are trusted in
 * addition to the directory's CAs. A `NAME.cert` without `NAME.key` (or the
 * reverse) is an error, as in containers/image.
 */
export async function loadTlsSettings(host: string, options: { certDir?: string | undefined; tlsVerify?: boolean | undefined; caCertificates?: string | undefined }): Promise<TlsSettings> {
  const settings: TlsSettings = { rejectUnauthorized: options.tlsVerify !== false, sources: [] };
  const dirs = options.certDir ? [options.certDir] : defaultCertDirs(host);
  const extraCas: string[] = [];
  for (const dir of dirs) {
    const entries = await listDir(dir);
    if (entries === undefined) {
      if (options.certDir) throw new TugError('USAGE', `certificate directory ${dir} does not exist`, { hint: 'pass --cert-dir a directory holding ca.crt' });
      continue;
    }
    for (const name of entries) {
      const path = join(dir, name);
      if (name.endsWith('.crt')) {
        extraCas.push(await readCertFile(path));
        settings.sources.push(path);
      } else if (name.endsWith('.cert')) {
        const keyName = `${name.slice(0, -'.cert'.length)}.key`;
        if (!entries.includes(keyName)) throw new TugError('USAGE', `client certificate ${path} has no matching ${keyName}`, { hint: 'containers-certs.d(5) pairs NAME.cert with NAME.key' });
        if (settings.cert === undefined) {
          settings.cert = await readCertFile(path);
          settings.key = await readCertFile(join(dir, keyName));
          settings.sources.push(path);
        }
      } else if (name.endsWith('.key')) {
        const certName = `${name.slice(0, -'.key'.length)}.cert`;
        if (!entries.includes(certName)) throw new TugError('USAGE', `client key ${path} has no matching ${certName}`, { hint: 'containers-certs.d(5) pairs NAME.cert with NAME.key' });
      }
    }
    // containers/image stops at the first directory that exists.
    break;
  }
  if (options.caCertificates) {
    extraCas.push(options.caCertificates);
    settings.sources.push('caCertificates');
  }
  // node:tls loads only here: a plain-HTTP registry's commands never need it otherwise.
  if (extraCas.length > 0) settings.ca = [...process.getBuiltinModule('node:tls').rootCertificates, ...extraCas];
  return settings;
}

/**
 * Explains a connection the server closed during or right after the TLS
 * handshake. undici reports that only as "other side closed"; a direct TLS
 * connection shows the alert the server sent (a missing or refused client
 * certificate, mostly). Returns undefined when nothing TLS-specific is found.
 * Used only on the failure path of a ping. With `egress`, the connection
 * obeys the policy like every other (see egress.ts).
 */
export async function diagnoseTlsClose(host: string, port: number, settings: TlsSettings, options: { timeoutMs?: number | undefined; egress?: EgressPolicy | undefined } = {}): Promise<string | undefined> {
  const { connect } = await import('node:tls');
  const timeoutMs = options.timeoutMs ?? 5000;
  if (options.egress && literalRefusal(options.egress, host)) return undefined;
  const lookup = options.egress ? { lookup: egressLookup(options.egress) } : {};
  return new Promise((resolve) => {
    let said: string | undefined;
    const socket = connect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, rejectUnauthorized: settings.rejectUnauthorized, ca: settings.ca, cert: settings.cert, key: settings.key, ...lookup }, () => {
      // Handshake done: TLS 1.3 servers send a client-certificate alert only after it; ask for something.
      socket.write(`GET /v2/ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (/ALERT|SSL|TLS/i.test(err.code ?? '') || /alert/i.test(err.message)) said = err.message.split('\n')[0]?.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '');
    });
    socket.once('data', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(said);
    });
  });
}
