/**
 * Turning registry answers and network failures into {@link RegistryError}s
 * with a stable code, a one-line message naming the thing, and a hint.
 * The error body format is the distribution spec's
 * (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":...}]}`, spec
 * "Error Codes"). Nothing here ever sees an Authorization header.
 */
import { type ErrorCode, RegistryError, TugError, isAbortError, redactSecrets, redactUrl } from '../errors/index.ts';

/** What a failed request was doing, so a message can name the action and the thing. */
export interface RequestContext {
  method: string;
  url: string;
  /** `127.0.0.1:5000` or `docker.io`, as the user wrote it. */
  registry: string;
  /** The thing, e.g. `127.0.0.1:5000/app:1` or `blob sha256:... in 127.0.0.1:5000/app`. */
  what: string;
  /** Repository the request is about, for "lacks push rights to REPO". */
  repository?: string | undefined;
  /** True for requests that change the registry (PUT/POST/PATCH/DELETE). */
  write?: boolean | undefined;
}

/** The first value of a header in Node's IncomingHttpHeaders shape. */
export function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses `errors[].code` (and the first message) out of a registry error body. Tolerates any garbage. */
export function parseErrorBody(body: string): { codes: string[]; message: string | undefined } {
  try {
    const doc = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    if (!Array.isArray(doc.errors)) return { codes: [], message: undefined };
    const codes = doc.errors.map((e) => (typeof e?.code === 'string' ? e.code : '')).filter((c) => /^[A-Z_]{1,64}$/.test(c));
    const first = doc.errors.find((e) => typeof e?.message === 'string');
    const message = typeof first?.message === 'string' ? redactSecrets(first.message).slice(0, 200) : undefined;
    return { codes, message };
  } catch {
    return { codes: [], message: undefined };
  }
}

/**
 * Parses Retry-After (delta seconds or an HTTP-date) into milliseconds from
 * now. Returns undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const when = Date.parse(v);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

/** A login hint for `registry`. */
export function loginHint(registry: string): string {
  return `run "tug login ${registry}" (or check --creds)`;
}

/**
 * Error codes (distribution spec "Error Codes") that say the request itself
 * is refused, whatever the HTTP status: a 5xx carrying one is not temporary.
 * TOOMANYREQUESTS, UNKNOWN, UNAVAILABLE and codes not listed here stay
 * temporary; BLOB_UPLOAD_* are left out because a new upload can succeed.
 */
const DEFINITE_REFUSALS: ReadonlySet<string> = new Set([
  'BLOB_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNSUPPORTED',
  'UNAUTHORIZED',
  'DENIED',
]);

/**
 * Maps an HTTP answer the caller could not use to a RegistryError:
 * 401 AUTH, 403 AUTH, 404 NOT_FOUND, 405 UNSUPPORTED, 408/429/5xx TRANSIENT
 * (temporary, with Retry-After) unless the body names a definite refusal
 * ({@link DEFINITE_REFUSALS}: then REGISTRY, or AUTH), anything else REGISTRY.
 */
export function errorFromResponse(
  req: RequestContext,
  res: { status: number; headers: Record<string, string | string[] | undefined>; body: string },
): RegistryError {
  const { codes, message: registryMessage } = parseErrorBody(res.body);
  const status = res.status;
  const detail = registryMessage ? `: ${registryMessage}` : '';
  const data = { status, method: req.method, url: req.url, diagnostics: codes };
  const make = (code: ErrorCode, message: string, extra: { hint?: string; temporary?: boolean; retryAfterMs?: number } = {}) =>
    new RegistryError(
      code,
      message,
      {
        ...data,
        temporary: extra.temporary ?? false,
        ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
      },
      extra.hint ? { hint: extra.hint } : {},
    );

  if (status === 401) {
    return make('AUTH', `${req.what}: authentication required by ${req.registry} (HTTP 401${codes.length ? ` ${codes.join(',')}` : ''})`, {
      hint: loginHint(req.registry),
    });
  }
  if (status === 403 || codes.includes('DENIED')) {
    if (req.write) {
      return make('AUTH', `${req.what}: the account lacks push rights to ${req.registry}/${req.repository ?? '?'}${detail}`, {
        hint: `log in as a user with push access: ${loginHint(req.registry)}`,
      });
    }
    return make('AUTH', `${req.what}: access denied by ${req.registry}${detail}`, { hint: loginHint(req.registry) });
  }
  if (status === 404) {
    const kind = codes.includes('BLOB_UNKNOWN')
      ? 'blob not found'
      : codes.includes('NAME_UNKNOWN')
        ? 'repository not found'
        : codes.includes('MANIFEST_UNKNOWN')
          ? 'manifest not found'
          : 'not found';
    return make('NOT_FOUND', `${req.what}: ${kind} (HTTP 404)`, { hint: 'check the name, tag and digest' });
  }
  if (status === 405) {
    return make('UNSUPPORTED', `${req.what}: ${req.registry} does not allow ${req.method} here (HTTP 405${codes.length ? ` ${codes.join(',')}` : ''})`);
  }
  const refusals = [...new Set(codes.filter((c) => DEFINITE_REFUSALS.has(c)))];
  if ((status === 408 || status === 429 || status >= 500) && refusals.length > 0) {
    // The body names a refusal that the same request meets every time: distribution answers
    // 500 UNKNOWN + MANIFEST_BLOB_UNKNOWN to a manifest with foreign `urls`. Not retried.
    return make(refusals.includes('UNAUTHORIZED') ? 'AUTH' : 'REGISTRY', `${req.what}: ${req.registry} refused the request (HTTP ${status} ${[...new Set(codes)].join(',')})${detail}`, {
      hint: 'retrying will not help: the registry rejects this content',
    });
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(firstHeader(res.headers, 'retry-after'));
    return make('TRANSIENT', `${req.what}: ${req.registry} answered HTTP ${status}${detail}`, {
      temporary: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      hint: 'the registry is busy or failing; try again later',
    });
  }
  return make('REGISTRY', `${req.what}: ${req.registry} answered HTTP ${status}${codes.length ? ` ${codes.join(',')}` : ''}${detail}`);
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
]);

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Walks `cause` chains (undici wraps socket errors) and returns every error code found. */
export function codesOf(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** True when `err` is the symptom of speaking TLS to a plain-HTTP server. */
export function isPlainHttpSymptom(err: unknown): boolean {
  const codes = codesOf(err);
  if (codes.some((c) => c === 'ERR_SSL_WRONG_VERSION_NUMBER' || c === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || c === 'EPROTO')) return true;
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && /wrong version number|packet length too long|http request|before secure TLS connection was established/i.test(m)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Maps a thrown network / TLS / abort error to a RegistryError (TLS, TRANSIENT, ABORTED) or passes TugErrors through. */
export function errorFromNetwork(req: RequestContext, err: unknown): TugError {
  if (err instanceof TugError) return err;
  const codes = codesOf(err);
  const rawMessage = err instanceof Error ? err.message : String(err);
  const message = redactSecrets(rawMessage);
  const data = { method: req.method, url: req.url };
  if (isAbortError(err)) {
    return new RegistryError('ABORTED', `${req.what}: cancelled`, data, { cause: err });
  }
  if (isPlainHttpSymptom(err)) {
    return new RegistryError('TLS', `${req.what}: ${req.registry} did not answer TLS (${codes[0] ?? 'EPROTO'}); it may speak plain HTTP`, data, {
      cause: err,
      hint: 'use --plain-http (or --tls-verify=false for a registry you trust) if it really has no TLS',
    });
  }
  const tlsCode = codes.find((c) => TLS_CODES.has(c) || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_'));
  if (tlsCode) {
    return new RegistryError('TLS', `${req.what}: TLS verification of ${req.registry} failed (${tlsCode}: ${message})`, data, {
      cause: err,
      hint: `give the registry's CA with --cert-dir DIR (with ca.crt), or use --tls-verify=false for a registry you trust`,
    });
  }
  const netCode = codes.find((c) => TRANSIENT_CODES.has(c));
  if (netCode || codes.length === 0 || /socket|closed|terminated|timeout/i.test(rawMessage)) {
    return new RegistryError(
      'TRANSIENT',
      `${req.what}: cannot reach ${req.registry} (${netCode ?? 'network error'}: ${message})`,
      { ...data, temporary: true },
      { cause: err, hint: netCode === 'ENOTFOUND' ? 'check the registry host name' : 'check that the registry is up and reachable' },
    );
  }
  return new RegistryError('REGISTRY', `${req.what}: request to ${redactUrl(req.url)} failed (${codes[0]}: ${message})`, data, { cause: err });
}
