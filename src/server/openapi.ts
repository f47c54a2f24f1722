/**
 * /openapi.json, generated from the same zod schemas that validate requests
 * (src/api/schema.ts), so the document cannot drift from what is enforced.
 */
import { z } from 'zod';
import { KIND_LIST } from '../api/kinds.ts';
import { batchDeleteSchema, tokenCreateSchema } from '../api/schema.ts';
import { API_PREFIX, API_VERSION } from '../api/types.ts';

function schemaOf(s: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errors = {
  '400': { description: 'Bad request', content: json(ref('Status')) },
  '401': { description: 'No or unknown bearer token', content: json(ref('Status')) },
  '403': { description: 'The token\'s role does not allow this', content: json(ref('Status')) },
  '404': { description: 'Not found (or in a namespace the token cannot see)', content: json(ref('Status')) },
};

const listParams = [
  { name: 'q', in: 'query', schema: { type: 'string' }, description: 'case-insensitive search over name, display name and repository:tag (registries: url)' },
  { name: 'labelSelector', in: 'query', schema: { type: 'string' }, description: 'a=b,c!=d,e' },
  { name: 'fieldSelector', in: 'query', schema: { type: 'string' }, description: 'status.syncStatus=Failed, metadata.name!=x (the kind\'s selectable fields; others are a 400 naming them)' },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  { name: 'continue', in: 'query', schema: { type: 'string' }, description: 'metadata.continue of the previous page' },
  { name: 'watch', in: 'query', schema: { type: 'boolean' }, description: 'stream ADDED/MODIFIED/DELETED as text/event-stream' },
  { name: 'timeoutSeconds', in: 'query', schema: { type: 'integer' }, description: 'end a watch after this long' },
  { name: 'resourceVersion', in: 'query', schema: { type: 'string' }, description: 'with watch: resume after this version (no listing); 410 Expired when it has left the event log' },
];

const nsParam = { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

/** The endpoints of one resource kind (src/api/kinds.ts). */
function crud({ plural, kind, listKind }: { plural: string; kind: string; listKind: string }) {
  const body = { required: true, content: { ...json(ref(kind)), 'application/yaml': { schema: ref(kind) } } };
  const one = { '200': { description: kind, content: json(ref(kind)) }, ...errors };
  return {
    [`${API_PREFIX}/${plural}`]: {
      get: { summary: `List ${plural} in every namespace the token sees`, parameters: listParams, responses: { '200': { description: listKind }, ...errors } },
    },
    [`${API_PREFIX}/namespaces/{namespace}/${plural}`]: {
      parameters: [nsParam],
      get: { summary: `List ${plural}`, parameters: listParams, responses: { '200': { description: listKind }, ...errors } },
      post: { summary: `Create a ${kind}`, requestBody: body, responses: { '201': { description: 'Created', content: json(ref(kind)) }, '409': { description: 'AlreadyExists' }, '422': { description: 'Invalid', content: json(ref('Status')) }, ...errors } },
      delete: {
        summary: `Delete several ${plural} by name`,
        parameters: [{ name: 'names', in: 'query', required: true, schema: { type: 'string' }, description: 'a,b,c' }],
        responses: { '200': { description: 'BatchDeleteResult {deleted, notFound}' }, ...errors },
      },
    },
    [`${API_PREFIX}/namespaces/{namespace}/${plural}/{name}`]: {
      parameters: [nsParam, nameParam],
      get: { summary: `Read a ${kind}`, responses: one },
      put: { summary: `Replace a ${kind} (409 when metadata.resourceVersion is stale)`, requestBody: body, responses: { ...one, '409': { description: 'Conflict' }, '422': { description: 'Invalid' } } },
      patch: {
        summary: `Merge-patch a ${kind}`,
        requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } } } },
        responses: { ...one, '409': { description: 'Conflict' }, '422': { description: 'Invalid (e.g. an immutable field: delete and re-create)' } },
      },
      delete: { summary: `Delete a ${kind}`, responses: one },
    },
  };
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Tugboat API', version: API_VERSION, description: 'Repositories and registries of `tug serve`. Every request needs `Authorization: Bearer TOKEN`. Errors are Kubernetes Status objects.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...Object.fromEntries(KIND_LIST.map((k) => [k.kind, schemaOf(k.schema)])),
        TokenCreate: schemaOf(tokenCreateSchema),
        BatchDelete: schemaOf(batchDeleteSchema),
        Status: {
          type: 'object',
          properties: {
            apiVersion: { const: 'v1' },
            kind: { const: 'Status' },
            status: { enum: ['Failure', 'Success'] },
            message: { type: 'string' },
            reason: { type: 'string' },
            code: { type: 'integer' },
            details: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' }, causes: { type: 'array', items: { type: 'object', properties: { reason: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } } } },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      ...Object.assign({}, ...KIND_LIST.map(crud)),
      [`${API_PREFIX}/namespaces/{namespace}/repositories/{name}/sync`]: {
        parameters: [nsParam, nameParam],
        post: { summary: 'Sync now (202 with the SyncRun; phase Queued when it has not started yet)', responses: { '202': { description: 'SyncRun' }, ...errors } },
      },
      [`${API_PREFIX}/namespaces/{namespace}/repositories/{name}/syncruns`]: {
        parameters: [nsParam, nameParam],
        get: { summary: 'Sync history, newest first', responses: { '200': { description: 'SyncRunList' }, ...errors } },
      },
      [`${API_PREFIX}/namespaces/{namespace}/repositories/{name}/syncruns/{run}`]: {
        parameters: [nsParam, nameParam, { name: 'run', in: 'path', required: true, schema: { type: 'string' } }],
        get: { summary: 'One SyncRun', responses: { '200': { description: 'SyncRun' }, ...errors } },
      },
      [`${API_PREFIX}/namespaces/{namespace}/repositories/{name}/syncruns/{run}/log`]: {
        parameters: [nsParam, nameParam, { name: 'run', in: 'path', required: true, schema: { type: 'string' } }],
        get: { summary: 'Log lines of a run (JSON; text with Accept: text/plain)', responses: { '200': { description: 'SyncRunLog' }, ...errors } },
      },
      [`${API_PREFIX}/namespaces/{namespace}/registries/{name}/test`]: {
        parameters: [nsParam, nameParam],
        post: { summary: 'Check the stored URL and credentials (the body is ignored)', responses: { '200': { description: 'RegistryTestResult {reachable, authenticated, anonymous (let in without credentials, so none were tried), message}' }, ...errors } },
      },
      [`${API_PREFIX}/namespaces/{namespace}/registries/{name}/pull-secret`]: {
        parameters: [nsParam, nameParam, { name: 'secretName', in: 'query', schema: { type: 'string' } }, { name: 'kubeNamespace', in: 'query', schema: { type: 'string' } }],
        get: { summary: 'The commands that create an image pull Secret for this registry (never the stored password)', responses: { '200': { description: 'RegistryPullSecret {server, username, secretName, kubeNamespace, commands: {tug, kubectl}}' }, ...errors } },
      },
      [`${API_PREFIX}/whoami`]: { get: { summary: "The calling token's name, role and namespaces (any role)", responses: { '200': { description: 'SelfSubjectReview {status.userInfo: {username, role, namespaces}}' }, ...errors } } },
      [`${API_PREFIX}/tokens`]: {
        get: { summary: 'List tokens (admin)', responses: { '200': { description: 'TokenList' }, ...errors } },
        post: { summary: 'Create a token (admin); the answer holds it once', requestBody: { required: true, content: json(ref('TokenCreate')) }, responses: { '201': { description: 'Token' }, ...errors } },
      },
      [`${API_PREFIX}/tokens/{name}`]: { parameters: [nameParam], delete: { summary: 'Delete a token (admin)', responses: { '200': { description: 'Token' }, ...errors } } },
      [`${API_PREFIX}/auditlogs`]: { get: { summary: 'Audit log, newest first (admin)', responses: { '200': { description: 'AuditEntryList' }, ...errors } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Readiness: the store answers', security: [], responses: { '200': { description: 'ok' }, '503': { description: 'store unreachable: {status: unavailable}, the reason only in the server log' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics (a viewer token for every namespace)', responses: { '200': { description: 'text exposition format' }, '401': { description: 'no or unknown token' }, '403': { description: 'a token scoped to namespaces' } } } },
    },
  };
}
