/**
 * Tugboat's error classes. Few classes, each carrying data; one place (the
 * CLI's top level, the server's error handler) maps them to exit codes or
 * HTTP statuses. Messages name the action and the thing, then the fix.
 *
 * This module imports nothing.
 */

/** Stable error codes. The CLI maps each to an exit code ({@link exitCodeFor}). */
export type ErrorCode =
  | 'USAGE' // bad flags, bad reference, unsafe input: exit 2
  | 'UNSAFE_INPUT' // hostile digest, path escape, oversized manifest: exit 2
  | 'INTEGRITY' // digest or size mismatch: exit 3
  | 'POLICY' // a signature or policy requirement the image does not meet (src/signature/): exit 3
  | 'TRANSIENT' // network / 408 / 429 / 5xx that outlived retries: exit 4
  | 'AUTH' // 401 / 403 / missing credentials: exit 5
  | 'TLS' // certificate verification, handshake: exit 5
  | 'NOT_FOUND' // manifest / blob / repository unknown: exit 1
  | 'UNSUPPORTED' // e.g. writing schema1, unknown media type where one is required: exit 1
  | 'REGISTRY' // any other registry answer: exit 1
  | 'IO' // local filesystem: exit 1
  | 'ABORTED' // cancelled by signal / timeout: exit 1
  | 'INTERNAL';

export interface TugErrorOptions {
  cause?: unknown;
  /** A hint for the user: what to do next. Appended to the message by {@link TugError.describe}. */
  hint?: string;
}

/** Base class of every error Tugboat throws on purpose. */
export class TugError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: TugErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TugError';
    this.code = code;
    this.hint = options.hint;
  }

  /** One line for a person: message, then the hint if any; control characters escaped (see {@link oneLine}). */
  describe(): string {
    return oneLine(this.hint ? `${this.message} (${this.hint})` : this.message);
  }
}

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** An answer from a registry that we could not use. */
export class RegistryError extends TugError {
  readonly status: number | undefined;
  readonly method: string;
  /** The request URL with any credentials and query secrets removed. */
  readonly url: string;
  /** The registry's own error codes from the body (`errors[].code`), e.g. `MANIFEST_UNKNOWN`. */
  readonly diagnostics: readonly string[];
  /** True when retrying the same request may succeed (network error, 408, 429, 5xx). */
  readonly temporary: boolean;
  /** Seconds the registry asked us to wait (Retry-After), if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    data: {
      status?: number;
      method: string;
      url: string;
      diagnostics?: readonly string[];
      temporary?: boolean;
      retryAfterMs?: number;
    },
    options: TugErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = 'RegistryError';
    this.status = data.status;
    this.method = data.method;
    this.url = redactUrl(data.url);
    this.diagnostics = data.diagnostics ?? [];
    this.temporary = data.temporary ?? false;
    this.retryAfterMs = data.retryAfterMs;
  }
}

/** A failure while copying one image, saying which side and which step failed. */
export class CopyError extends TugError {
  readonly op: string;
  readonly side: 'source' | 'destination' | 'engine';

  constructor(
    code: ErrorCode,
    message: string,
    data: { op: string; side: 'source' | 'destination' | 'engine' },
    options: TugErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = 'CopyError';
    this.op = data.op;
    this.side = data.side;
  }
}

/** Exit codes of the `tug` CLI, stable for scripts. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  INTEGRITY: 3,
  TRANSIENT: 4,
  AUTH: 5,
} as const;

/**
 * True for what an aborted operation throws, at any depth of its `cause`
 * chain: a TugError ABORTED, a DOMException AbortError or TimeoutError
 * (AbortSignal.abort / AbortSignal.timeout), Node's ABORT_ERR, undici's
 * UND_ERR_ABORTED.
 */
export function isAbortError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (e instanceof TugError) return e.code === 'ABORTED';
    const { name, code, cause } = e as { name?: unknown; code?: unknown; cause?: unknown };
    if (name === 'AbortError' || name === 'TimeoutError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') return true;
    e = cause;
  }
  return false;
}

/**
 * The one wording of input over a size limit (UNSAFE_INPUT): `WHAT is N
 * bytes; the limit is L bytes`, the limit also in MiB when it is a whole
 * number of them (manifests: 4 MiB). `size` may be a bound (`more than N`).
 */
export function tooLargeError(what: string, size: number | string, limit: number, options: TugErrorOptions = {}): TugError {
  const mib = limit % 2 ** 20 === 0 ? ` (${limit / 2 ** 20} MiB)` : '';
  return new TugError('UNSAFE_INPUT', `${what} is ${size} bytes; the limit is ${limit} bytes${mib}`, options);
}

/** The one wording of a cancelled operation (ABORTED): `${what}: cancelled`. */
export function cancelledError(what: string, cause?: unknown): TugError {
  return new TugError('ABORTED', `${what}: cancelled`, cause === undefined ? {} : { cause });
}

/**
 * The code of any thrown value: a TugError's own, ABORTED for an abort
 * ({@link isAbortError}), else INTERNAL. What a failed item of a sync
 * carries, and what {@link exitCodeFor} maps.
 */
export function errorCode(err: unknown): ErrorCode {
  if (err instanceof TugError) return err.code;
  return isAbortError(err) ? 'ABORTED' : 'INTERNAL';
}

export function exitCodeFor(err: unknown): number {
  switch (errorCode(err)) {
    case 'USAGE':
    case 'UNSAFE_INPUT':
      return ExitCode.USAGE;
    case 'INTEGRITY':
    case 'POLICY':
      return ExitCode.INTEGRITY;
    case 'TRANSIENT':
      return ExitCode.TRANSIENT;
    case 'AUTH':
    case 'TLS':
      return ExitCode.AUTH;
    default:
      return ExitCode.FAILURE;
  }
}

/** One line for any thrown value: a TugError's {@link TugError.describe}, else its message. */
export function errorText(err: unknown): string {
  if (err instanceof TugError) return err.describe();
  return oneLine(err instanceof Error ? err.message : String(err));
}

/**
 * `text` with control characters escaped (`\n`, `\u0000`...): a message quotes
 * names as the user gave them, and a newline in a name must not split the one
 * line a person (or a log parser) reads.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** Wraps an error with context (`copying "x": ...`) while keeping its code and data. */
export function withContext(err: unknown, context: string): TugError {
  if (err instanceof TugError) {
    // Keep the original class and fields: only the message gains context.
    const wrapped = Object.create(Object.getPrototypeOf(err)) as TugError;
    Object.assign(wrapped, err);
    Object.defineProperty(wrapped, 'message', { value: `${context}: ${err.message}`, enumerable: false, writable: true });
    Object.defineProperty(wrapped, 'stack', { value: err.stack, enumerable: false, writable: true });
    if (err.cause !== undefined) Object.defineProperty(wrapped, 'cause', { value: err.cause, enumerable: false });
    return wrapped;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new TugError('INTERNAL', `${context}: ${redactSecrets(msg)}`, { cause: err });
}

/** Removes userinfo and well-known secret query parameters from a URL string. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? 'REDACTED' : '';
      u.password = '';
    }
    for (const key of [...u.searchParams.keys()]) {
      if (/token|signature|sig|password|secret|credential|auth/i.test(key)) u.searchParams.set(key, 'REDACTED');
    }
    return u.toString();
  } catch {
    return url;
  }
}

/** Removes things that look like credentials from free text (Basic/Bearer headers, user:pass@). */
export function redactSecrets(text: string): string {
  return text
    .replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 REDACTED')
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+:[^/@\s]+@/gi, '$1REDACTED@');
}
