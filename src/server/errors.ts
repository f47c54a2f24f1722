/**
 * Every error answer of the API is a Kubernetes `Status`. This module builds
 * them and is the one place that maps errors (our ApiError, the store's
 * StoreConflict, the engine's TugError, zod issues, fastify's own errors) to
 * an HTTP code and reason.
 */
import type { z } from 'zod';
import { GROUP, type Status } from '../api/types.ts';
import { TugError } from '../errors/index.ts';
import { StoreConflict } from '../store/types.ts';

type Reason = Status['reason'];
type Cause = NonNullable<NonNullable<Status['details']>['causes']>[number];

/** An error that already knows its Status. */
export class ApiError extends Error {
  readonly status: Status;
  constructor(code: number, reason: Reason, message: string, details?: Status['details']) {
    super(message);
    this.name = 'ApiError';
    this.status = { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
  }
}

/** `repositories.image.theriseunion.io`: how Kubernetes names a resource in messages. */
export function groupResource(plural: string): string {
  return `${plural}.${GROUP}`;
}

export function notFound(plural: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${groupResource(plural)} "${name}" not found`, { name, kind: plural });
}

export function badRequest(message: string, causes?: Cause[]): ApiError {
  return new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined);
}

export function forbidden(message: string): ApiError {
  return new ApiError(403, 'Forbidden', message);
}

/** 422 Invalid, Kubernetes style: `Kind.group "name" is invalid: field: message, ...`. */
export function invalid(kind: string, name: string, causes: Cause[]): ApiError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new ApiError(422, 'Invalid', `${kind}.${GROUP} "${name}" is invalid: ${summary}`, { name, kind, causes });
}

/** zod issues as Status causes with dotted field paths (`spec.registryRef.name`, `metadata.labels[app]`). */
export function zodCauses(error: z.ZodError): Cause[] {
  return error.issues.map((issue) => {
    let field = '';
    for (const part of issue.path) {
      if (typeof part === 'number') field += `[${part}]`;
      else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) field += field ? `.${part}` : part;
      else field += `[${String(part)}]`;
    }
    const reason =
      issue.code === 'invalid_type' && /received undefined/.test(issue.message)
        ? 'FieldValueRequired'
        : issue.code === 'unrecognized_keys'
          ? 'FieldValueNotSupported'
          : 'FieldValueInvalid';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : reason === 'FieldValueRequired'
          ? 'Required value'
          : issue.message;
    return { reason, message, field };
  });
}

/** Maps anything thrown in a handler to a Status. `internal` is called for 500s (to log them). */
export function toStatus(err: unknown, internal: (err: unknown) => void): Status {
  if (err instanceof ApiError) return err.status;
  if (err instanceof StoreConflict) {
    const s = err.reason === 'AlreadyExists' ? new ApiError(409, 'AlreadyExists', err.message) : new ApiError(409, 'Conflict', `Operation cannot be fulfilled: ${err.message}; the object has been modified; please apply your changes to the latest version and try again`);
    return s.status;
  }
  if (err instanceof TugError) {
    if (err.code === 'NOT_FOUND') return new ApiError(404, 'NotFound', err.describe()).status;
    if (err.code === 'USAGE' || err.code === 'UNSAFE_INPUT') return new ApiError(400, 'BadRequest', err.describe()).status;
  }
  const fe = err as { code?: string; statusCode?: number; message?: string };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large (limit 1 MiB)').status;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'UnsupportedMediaType', `${fe.message ?? 'unsupported media type'}; send application/json or application/yaml (application/merge-patch+json for PATCH)`).status;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'BadRequest', 'the request body is empty').status;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'BadRequest', 'invalid Content-Length').status;
    default:
      break;
  }
  if (err instanceof SyntaxError || (fe.statusCode === 400 && typeof fe.message === 'string')) {
    return new ApiError(400, 'BadRequest', `the request body cannot be read: ${fe.message ?? 'syntax error'}`).status;
  }
  if (fe.statusCode === 404) return new ApiError(404, 'NotFound', fe.message ?? 'not found').status;
  if (fe.statusCode === 405) return new ApiError(405, 'MethodNotAllowed', fe.message ?? 'method not allowed').status;
  internal(err);
  return new ApiError(500, 'InternalError', 'an internal error occurred; see the server log').status;
}
