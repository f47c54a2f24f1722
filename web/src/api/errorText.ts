/**
 * What the console says when a request fails (issue 16: English server text
 * showed inside the Chinese UI, "令牌无效：the bearer token is not valid").
 * The sentence is the user's language, chosen by the answer's Kubernetes
 * `reason`, else its HTTP code; the server's own words stay as the detail
 * (a tooltip), for a bug report or a search, never as the text itself.
 */
import type { MessageKey, Translate } from '../i18n.tsx';
import { ApiError } from './client.ts';

export interface ErrorText {
  /** In the user's language. */
  text: string;
  /** The server's message, as it sent it (often English). */
  detail?: string;
}

/** What a request was about, when the caller knows better than the answer (a create's name). */
export interface ErrorSubject {
  kind: 'Repository' | 'Registry';
  name: string;
}

const BY_REASON: Readonly<Record<string, MessageKey>> = {
  BadRequest: 'err.badRequest',
  Unauthorized: 'err.unauthorized',
  Forbidden: 'err.forbidden',
  NotFound: 'err.notFound',
  AlreadyExists: 'err.alreadyExists',
  Conflict: 'err.conflict',
  Invalid: 'err.invalid',
  RequestEntityTooLarge: 'err.tooLarge',
  TooManyRequests: 'err.tooMany',
  ServiceUnavailable: 'err.unavailable',
  InternalError: 'err.internal',
  Expired: 'err.expired',
};

const BY_CODE: Readonly<Record<number, MessageKey>> = {
  0: 'err.network',
  400: 'err.badRequest',
  401: 'err.unauthorized',
  403: 'err.forbidden',
  404: 'err.notFound',
  409: 'err.conflict',
  410: 'err.expired',
  413: 'err.tooLarge',
  422: 'err.invalid',
  429: 'err.tooMany',
  503: 'err.unavailable',
};

/** The API's plural (a Status's details.kind) to the console's word for it. */
const KIND_LABEL: Readonly<Record<string, MessageKey>> = {
  Repository: 'kind.repository',
  repositories: 'kind.repository',
  Registry: 'kind.registry',
  registries: 'kind.registry',
};

/** An error the console itself words, already in the user's language (e.g. a batch that partly failed). */
export class ConsoleError extends Error {
  readonly detail: string | undefined;
  constructor(text: string, detail?: string) {
    super(text);
    this.name = 'ConsoleError';
    this.detail = detail;
  }
}

/** status.reason of a failed sync (src/api/types.ts RepositoryStatus.reason) to the sentence the console shows. */
const SYNC_REASON: Readonly<Record<string, MessageKey>> = {
  NOT_FOUND: 'syncErr.notFound',
  AUTH: 'syncErr.auth',
  TLS: 'syncErr.tls',
  TRANSIENT: 'syncErr.transient',
  INTEGRITY: 'syncErr.integrity',
  POLICY: 'syncErr.policy',
  UNSUPPORTED: 'syncErr.unsupported',
  UNSAFE_INPUT: 'syncErr.unsafe',
  REGISTRY: 'syncErr.registry',
  Timeout: 'syncErr.timeout',
  TagsFailed: 'syncErr.tags',
  TagListFailed: 'syncErr.tagList',
};

/** Why a sync failed, in the user's language; the server's message is the detail. Undefined when it did not fail. */
export function describeSyncFailure(status: { reason?: string | undefined; message?: string | undefined } | undefined, t: Translate): ErrorText | undefined {
  if (!status?.message) return undefined;
  const key = (status.reason && SYNC_REASON[status.reason]) || 'syncErr.other';
  return { text: t(key), detail: status.message };
}

export function describeError(err: unknown, t: Translate, subject?: ErrorSubject): ErrorText {
  if (err instanceof ConsoleError) return { text: err.message, ...(err.detail ? { detail: err.detail } : {}) };
  if (!(err instanceof ApiError)) return { text: t('err.unexpected'), detail: err instanceof Error ? err.message : String(err) };
  const reason = err.status?.reason;
  const key = (reason && BY_REASON[reason]) ?? BY_CODE[err.code] ?? (err.code >= 500 ? 'err.internal' : 'err.failed');
  const details = err.status?.details;
  const kindKey = KIND_LABEL[subject?.kind ?? details?.kind ?? ''];
  const vars = {
    code: err.code,
    kind: kindKey ? t(kindKey) : t('kind.object'),
    name: subject?.name ?? details?.name ?? '',
    seconds: details?.retryAfterSeconds ?? 5,
  };
  return { text: t(key, vars), detail: err.message };
}
