/**
 * The few Docker Engine API calls docker-daemon: needs: `GET /images/get`
 * (what `docker save` streams) and `POST /images/load` (what `docker load`
 * sends), over a unix socket, plain HTTP or TLS
 * (https://docs.docker.com/engine/api/v1.41/#tag/Image).
 *
 * node:http rather than undici: transport folders other than docker/ stay
 * off distribution/ (test/architecture.test.ts), and node:http speaks to a
 * unix socket with `socketPath`. Paths carry no API version: the daemon
 * answers with its own, and both calls exist unchanged since API 1.22.
 */
import { readFileSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError, cancelledError, isAbortError, oneLine, redactSecrets, redactUrl } from '../../errors/index.ts';

/** Where the daemon listens when neither the flag nor DOCKER_HOST says otherwise (docker's default). */
export const DEFAULT_DAEMON_HOST = 'unix:///var/run/docker.sock';
/** Daemon answers read into memory (error bodies, load progress) are cut at this size. */
const MAX_ANSWER_BYTES = 1024 * 1024;

const HOST_HINT = 'start dockerd, or point DOCKER_HOST (or --daemon-host, --src-daemon-host, --dest-daemon-host) at a running daemon';

/** A parsed daemon address. */
export interface DaemonEndpoint {
  /** As given, credentials redacted: what messages and events show. */
  display: string;
  protocol: 'http:' | 'https:';
  /** Set for `unix://`. */
  socketPath?: string | undefined;
  hostname: string;
  port: number | undefined;
}

/**
 * Parses a daemon address: `unix:///path`, `http://host:port` (plain HTTP),
 * `tcp://host:port` or `https://host:port` (TLS). `tcp://` is TLS as in
 * skopeo (containers/image `daemon/client.go` gives every scheme but unix
 * and http a TLS client), not plain HTTP as in the docker CLI without
 * --tls: scripts written for skopeo keep working, and a plain daemon is
 * named `http://`. Anything else is USAGE naming the address.
 */
export function parseDaemonHost(host: string): DaemonEndpoint {
  const bad = (problem: string) =>
    new TugError('USAGE', `invalid Docker daemon host "${redactSecrets(host)}": ${problem}`, { hint: 'write unix:///var/run/docker.sock, http://HOST:PORT, or tcp://HOST:PORT (https://) for TLS' });
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw bad('not a URL');
  }
  const display = redactSecrets(host).replace(/\/+$/, '');
  if (url.protocol === 'unix:') {
    const socketPath = decodeURIComponent(url.pathname);
    if (url.host !== '' || !socketPath.startsWith('/')) throw bad('a unix socket needs an absolute path (unix:///path/docker.sock)');
    return { display, protocol: 'http:', socketPath, hostname: 'localhost', port: undefined };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`the scheme "${url.protocol.slice(0, -1)}" is not unix, tcp, http or https`);
  if (url.hostname === '') throw bad('no host');
  if (url.pathname !== '' && url.pathname !== '/') throw bad('a path after the host is not supported');
  return {
    display,
    protocol: url.protocol === 'http:' ? 'http:' : 'https:',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? undefined : Number(url.port),
  };
}

/** The daemon address for `ctx`: `ctx.daemonHost`, else DOCKER_HOST, else {@link DEFAULT_DAEMON_HOST}. */
export function daemonHostOf(ctx: SystemContext): string {
  return ctx.daemonHost ?? (process.env.DOCKER_HOST || DEFAULT_DAEMON_HOST);
}

/** Options of one call. */
export interface EngineCallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * A client of one daemon. Holds no connection between calls (each call is
 * one request), so there is nothing to close.
 */
export class EngineClient {
  readonly endpoint: DaemonEndpoint;
  private readonly ctx: SystemContext;

  constructor(ctx: SystemContext) {
    this.ctx = ctx;
    this.endpoint = parseDaemonHost(daemonHostOf(ctx));
  }

  /**
   * `docker save NAME` as a stream of the tar (`GET /images/get?names=NAME`;
   * NAME is a reference or an image ID). NOT_FOUND when the daemon has no
   * such image. The caller owns the stream.
   */
  async saveImage(name: string, options: EngineCallOptions = {}): Promise<Readable> {
    const res = await this.call('GET', `/images/get?names=${encodeURIComponent(name)}`, undefined, options);
    if (res.statusCode === 200) return res;
    throw await this.answerError(res, `reading ${name} from`, name);
  }

  /**
   * `docker load` of the tar `body` streams (`POST /images/load?quiet=1`).
   * The daemon answers 200 and then reports failure inside its JSON
   * progress stream, so the whole answer is read: resolves with the names
   * it loaded, rejects with the daemon's error. If `body` fails, the request
   * is aborted and the daemon, seeing a cut tar, tags nothing.
   */
  async loadImage(body: Readable, options: EngineCallOptions = {}): Promise<string[]> {
    const res = await this.call('POST', '/images/load?quiet=1', body, options);
    if (res.statusCode !== 200) throw await this.answerError(res, 'loading an image into', undefined);
    const text = await readAnswer(res, options.signal);
    const loaded: string[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let msg: { error?: unknown; errorDetail?: { message?: unknown }; stream?: unknown };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue; // progress text of an older daemon
      }
      const error = typeof msg.errorDetail?.message === 'string' ? msg.errorDetail.message : typeof msg.error === 'string' ? msg.error : undefined;
      if (error !== undefined) throw new TugError('REGISTRY', `Docker daemon at ${this.endpoint.display} refused the image: ${oneLineOf(error)}`, { hint: 'see the daemon\'s log; nothing was tagged' });
      const m = typeof msg.stream === 'string' ? /^Loaded image(?: ID)?: (.+)$/m.exec(msg.stream) : null;
      if (m?.[1]) loaded.push(m[1].trim());
    }
    return loaded;
  }

  /** Sends one request; connection failures become one line naming the daemon and the fix. */
  private call(method: 'GET' | 'POST', path: string, body: Readable | undefined, options: EngineCallOptions): Promise<IncomingMessage> {
    const e = this.endpoint;
    const url = `${e.display}${path}`;
    const started = Date.now();
    const report = (status: number | undefined, error?: string) => this.ctx.onEvent?.({ type: 'http', method, url: redactUrl(url), status, ms: Date.now() - started, error });
    return new Promise<IncomingMessage>((resolve, reject) => {
      const send = e.protocol === 'https:' ? httpsRequest : httpRequest;
      const req: ClientRequest = send({
        method,
        path,
        ...(e.socketPath ? { socketPath: e.socketPath } : { hostname: e.hostname, port: e.port }),
        headers: {
          'User-Agent': this.ctx.userAgent ?? 'tugboat',
          ...(body ? { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } : {}),
        },
        ...(e.protocol === 'https:' ? this.tlsOptions() : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      let settled = false;
      let bodyFailed: Error | undefined;
      req.on('response', (res) => {
        settled = true;
        report(res.statusCode);
        resolve(res);
      });
      req.on('error', (err) => {
        if (body && !body.destroyed) body.destroy();
        if (settled) return; // surfaces on the response stream
        settled = true;
        report(undefined, (err as NodeJS.ErrnoException).code ?? err.message);
        reject(bodyFailed ? this.bodyError(bodyFailed) : this.connectError(err, options.signal));
      });
      if (!body) {
        req.end();
        return;
      }
      // A failing tar must cut the request, never end it: the daemon would load a complete-looking archive.
      body.on('error', (err) => {
        bodyFailed = err;
        req.destroy(err);
      });
      body.pipe(req);
    });
  }

  /**
   * TLS to the daemon: `ctx.certDir` holds the daemon's files as dockerd's
   * clients name them (ca.pem, cert.pem, key.pem: DOCKER_CERT_PATH's
   * layout, which skopeo's --cert-dir takes for a daemon), each optional;
   * ca.pem is trusted besides the system's CAs. `tlsVerify: false` skips
   * verification, as skopeo's --tls-verify=false.
   */
  private tlsOptions(): { rejectUnauthorized: boolean; ca?: string[]; cert?: Buffer; key?: Buffer } {
    const dir = this.ctx.certDir;
    const read = (name: string): Buffer | undefined => {
      if (!dir) return undefined;
      try {
        return readFileSync(join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new TugError('IO', `cannot read ${join(dir, name)} for the Docker daemon's TLS: ${(err as Error).message}`, { cause: err });
      }
    };
    const ca = read('ca.pem');
    const cert = read('cert.pem');
    const key = read('key.pem');
    if ((cert === undefined) !== (key === undefined)) {
      throw new TugError('USAGE', `${dir} has ${cert ? 'cert.pem but no key.pem' : 'key.pem but no cert.pem'}`, { hint: 'a client certificate for the Docker daemon needs both files' });
    }
    return {
      rejectUnauthorized: this.ctx.tlsVerify !== false,
      ...(ca ? { ca: [...rootCertificates, ca.toString('utf8')] } : {}),
      ...(cert && key ? { cert, key } : {}),
    };
  }

  /** The tar being sent failed (a staged file unreadable, an abort): the request was cut, so the daemon tagged nothing. */
  private bodyError(err: Error): TugError {
    if (err instanceof TugError) return err;
    if (isAbortError(err)) return cancelledError(`sending an image to the Docker daemon at ${this.endpoint.display}`, err);
    return new TugError('IO', `sending the image to the Docker daemon at ${this.endpoint.display} failed midway (${oneLineOf(err.message)}); nothing was tagged`, { cause: err });
  }

  private connectError(err: Error, signal: AbortSignal | undefined): TugError {
    if (err instanceof TugError) return err;
    if (signal?.aborted || isAbortError(err)) return cancelledError(`talking to the Docker daemon at ${this.endpoint.display}`, err);
    const code = (err as NodeJS.ErrnoException).code;
    const where = `the Docker daemon at ${this.endpoint.display}`;
    if (code === 'EACCES' || code === 'EPERM') {
      return new TugError('AUTH', `cannot connect to ${where}: permission denied`, { cause: err, hint: 'run as a user in the docker group (or root), or use another DOCKER_HOST' });
    }
    if (this.endpoint.protocol === 'https:' && (code === 'EPROTO' || code?.startsWith('ERR_SSL') || code?.startsWith('ERR_TLS') || /certificate|self.signed|SSL|TLS/i.test(err.message))) {
      return new TugError('TLS', `TLS with ${where} failed: ${oneLineOf(err.message)}`, {
        cause: err,
        hint: 'tcp:// and https:// mean TLS (as in skopeo): give the daemon\'s ca.pem (cert.pem, key.pem) with --cert-dir, or write http://HOST:PORT for a daemon without TLS',
      });
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return new TugError('TRANSIENT', `lost the connection to ${where} (${code}); did the daemon stop?`, { cause: err, hint: 'a load the daemon did not finish tagged nothing; run the command again' });
    }
    // A socket that is not there (ENOENT) or nobody listening (ECONNREFUSED): the daemon is not running at that address.
    const local = this.endpoint.socketPath !== undefined;
    return new TugError(local ? 'IO' : 'TRANSIENT', `cannot connect to ${where} (${code ?? err.message}); is the daemon running?`, { cause: err, hint: HOST_HINT });
  }

  /** The daemon's `{"message": ...}` answer as a TugError: NOT_FOUND for 404 when `image` names what was asked for. */
  private async answerError(res: IncomingMessage, action: string, image: string | undefined): Promise<TugError> {
    const status = res.statusCode ?? 0;
    let message = '';
    try {
      message = await readAnswer(res, undefined);
      const doc = JSON.parse(message) as { message?: unknown };
      if (typeof doc.message === 'string') message = doc.message;
    } catch {
      /* not JSON (a TLS port answering plain HTTP says so in text) or unreadable: the text or the status says enough */
    }
    const why = oneLineOf(message) || `HTTP ${status}`;
    if (status === 404 && image !== undefined) {
      return new TugError('NOT_FOUND', `the Docker daemon at ${this.endpoint.display} has no image ${image} (${why})`, { hint: 'docker images lists what it has; docker pull or docker load it first' });
    }
    return new TugError('REGISTRY', `${action} the Docker daemon at ${this.endpoint.display} failed: ${why}`, { hint: 'see the daemon\'s log' });
  }
}

/** Reads a (small) answer body as text, cut at {@link MAX_ANSWER_BYTES}. */
async function readAnswer(res: IncomingMessage, signal: AbortSignal | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res) {
      const chunk = c as Buffer;
      if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
      size += chunk.length;
    }
  } catch (err) {
    if (signal?.aborted) throw cancelledError('reading the Docker daemon\'s answer', err);
    throw new TugError('TRANSIENT', `the Docker daemon's answer was cut: ${(err as Error).message}`, { cause: err, hint: 'is the daemon still running? nothing is tagged by a load it did not finish' });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A daemon's message as one bounded line of a TugError. */
function oneLineOf(text: string): string {
  return oneLine(text.trim()).slice(0, 500);
}
