/**
 * Validation of the resources in ./types.ts, as zod schemas. The server
 * validates every body with these (issues become `Status.details.causes`
 * with field paths) and generates /openapi.json from them (z.toJSONSchema),
 * so the documented shape and the enforced one cannot drift.
 *
 * Names follow Kubernetes: object names are DNS-1123 subdomains, namespaces
 * DNS-1123 labels, label keys qualified names. Durations are Go durations.
 */
import { storedProxyProblem } from '../context/proxy-setting.ts';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { API_VERSION } from './types.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** The distribution spec's repository name grammar (path components separated by `/`). */
const REPOSITORY_PATH = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export const nameSchema = z
  .string()
  .min(1, 'name is required')
  .refine(isDns1123Subdomain, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', at most 253 characters)");

export const namespaceSchema = z
  .string()
  .min(1, 'namespace is required')
  .refine(isDns1123Label, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', at most 63 characters)");

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

const labelsSchema = z.record(
  z.string().refine(isLabelKey, 'label keys are qualified names: an optional DNS subdomain prefix and "/", then at most 63 characters of [A-Za-z0-9_.-] starting and ending with an alphanumeric'),
  z.string().max(63, 'label values are at most 63 characters').regex(LABEL_VALUE, 'label values consist of [A-Za-z0-9_.-] and start and end with an alphanumeric'),
);

const annotationsSchema = z
  .record(z.string().min(1), z.string())
  .refine((a) => JSON.stringify(a).length <= 256 * 1024, 'annotations may hold at most 256 KiB in all');

/** A Go duration of at least `minMs`. */
export function durationSchema(minMs: number, example: string) {
  return z.string().refine((s) => {
    const ms = parseDuration(s);
    return ms !== undefined && ms >= minMs;
  }, `must be a Go duration of at least ${minMs >= 1000 ? `${minMs / 1000}s` : `${minMs}ms`}, e.g. "${example}"`);
}

/** Metadata as clients send it: server-set fields (uid, creationTimestamp, generation) are accepted and ignored. */
export const objectMetaSchema = z.looseObject({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
  resourceVersion: z.string().optional(),
  labels: labelsSchema.optional(),
  annotations: annotationsSchema.optional(),
});

export const objectRefSchema = z.strictObject({
  name: nameSchema,
  namespace: namespaceSchema.optional(),
});

// ---------------------------------------------------------------- Registry

/** Where a Registry's `url` points: `host[:port]` and whether it said http://. */
export interface RegistryEndpoint {
  /** `harbor.example.com`, `127.0.0.1:5000`, `docker.io` */
  host: string;
  /** The URL said `http://`. */
  plainHTTP: boolean;
}

/**
 * Parses a Registry's `url`: `https://harbor.example.com`, `http://10.0.0.5:5000`,
 * or a bare `registry.example.com:5000` / `docker.io`. Refuses paths,
 * credentials, queries and fragments: the API lives at `/v2/` of the host,
 * and credentials belong in `spec.credentials` where they are encrypted.
 */
export function parseRegistryUrl(text: string): RegistryEndpoint | { error: string } {
  const trimmed = text.trim();
  if (trimmed !== text || trimmed === '') return { error: 'must be a URL such as https://harbor.example.com or a host[:port]' };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let u: URL;
  try {
    u = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    return { error: 'must be a URL such as https://harbor.example.com or a host[:port]' };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { error: `scheme ${u.protocol.slice(0, -1)} is not supported: use https:// or http://` };
  if (u.username || u.password) return { error: 'must not contain credentials: put them in spec.credentials, where they are stored encrypted' };
  if (u.search || u.hash || text.includes('?') || text.includes('#')) return { error: 'must not contain a query or fragment' };
  if (u.pathname !== '/' && u.pathname !== '') return { error: 'must not contain a path: the registry API lives at /v2/ of the host' };
  if (!u.hostname) return { error: 'must name a host' };
  return { host: u.host, plainHTTP: u.protocol === 'http:' };
}

export const registryCredentialsSchema = z.strictObject({
  username: z.string().max(1024).optional(),
  /** Write-only. */
  password: z.string().max(16 * 1024).optional(),
  /** Write-only: a bearer token used as is (instead of username/password). */
  token: z.string().max(16 * 1024).optional(),
  /** Output only; ignored on input. */
  hasPassword: z.boolean().optional(),
  /** Output only; ignored on input. */
  hasToken: z.boolean().optional(),
});

export const registrySpecSchema = z.strictObject({
  url: z.string().superRefine((s, ctx) => {
    const r = parseRegistryUrl(s);
    if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
  }),
  insecure: z.boolean().optional(),
  plainHTTP: z.boolean().optional(),
  caBundle: z
    .string()
    .max(512 * 1024)
    .refine((s) => s.includes('-----BEGIN CERTIFICATE-----'), 'must be PEM text holding at least one CERTIFICATE block')
    .optional(),
  proxy: z
    .string()
    .max(2048)
    .superRefine((s, ctx) => {
      const problem = storedProxyProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: `proxy ${problem}` });
    })
    .optional(),
  credentials: registryCredentialsSchema.optional(),
});

export const registrySchema = z.looseObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Registry'),
  metadata: objectMetaSchema,
  spec: registrySpecSchema,
});

// ---------------------------------------------------------------- Repository

export const DEFAULT_SYNC_INTERVAL = '1h';
export const DEFAULT_SYNC_TIMEOUT = '10m';
export const DEFAULT_RETRY_COUNT = 3;

export const repositorySpecSchema = z.strictObject({
  repository: z
    .string()
    .min(1)
    .max(255)
    .regex(REPOSITORY_PATH, 'must be a repository path such as "library/nginx": lowercase path components of [a-z0-9] separated by ".", "_", "__" or "-", joined by "/"'),
  tag: z.string().regex(TAG, 'must be a tag: up to 128 characters of [A-Za-z0-9_.-], not starting with "." or "-"'),
  registryRef: objectRefSchema,
  syncInterval: durationSchema(10_000, '1h').optional(),
  syncTimeout: durationSchema(1000, '10m').optional(),
  retryCount: z.number().int().min(0).max(10).optional(),
  mirror: z
    .strictObject({
      registryRef: objectRefSchema,
      repository: z.string().max(255).regex(REPOSITORY_PATH, 'must be a repository path such as "mirror/nginx"').optional(),
      tag: z.string().regex(TAG, 'must be a tag').optional(),
    })
    .optional(),
});

export const repositorySchema = z.looseObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Repository'),
  metadata: objectMetaSchema,
  spec: repositorySpecSchema,
});

// ---------------------------------------------------------------- SyncRun

/**
 * A SyncRun as the server writes it (clients never send one): the schema
 * documents it, in /openapi.json and in `tug serve crds`.
 */
export const syncRunSchema = z.looseObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('SyncRun'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    repositoryName: nameSchema,
    trigger: z.enum(['create', 'scheduled', 'manual', 'retry', 'recovery']),
    attempt: z.number().int().min(1),
  }),
  status: z.strictObject({
    phase: z.enum(['Queued', 'Running', 'Succeeded', 'Failed', 'Interrupted']),
    startTime: z.string(),
    completionTime: z.string().optional(),
    error: z.string().optional(),
    bytesMoved: z.number().int().min(0).optional(),
    digestBefore: z.string().optional(),
    digestAfter: z.string().optional(),
    layersAdded: z.array(z.string()).optional(),
    layersRemoved: z.array(z.string()).optional(),
    runner: z.string().optional(),
    tags: z
      .array(
        z.strictObject({
          tag: z.string(),
          result: z.enum(['Succeeded', 'Failed']),
          digestBefore: z.string().optional(),
          digestAfter: z.string().optional(),
          bytesMoved: z.number().int().min(0),
          error: z.string().optional(),
        }),
      )
      .optional(),
  }),
});

// ---------------------------------------------------------------- tokens

export const tokenCreateSchema = z.strictObject({
  name: nameSchema,
  role: z.enum(['viewer', 'editor', 'admin']),
  namespaces: z.array(namespaceSchema).max(100).optional(),
});

export const batchDeleteSchema = z.strictObject({
  names: z.array(nameSchema).min(1).max(1000),
});
