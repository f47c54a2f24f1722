/**
 * Batch import and export (docs/api.md "Batch import and export"):
 *
 *     POST /namespaces/{ns}/imports   preview (dryRun) or create many; 422 = some row is invalid (every row, with its causes)
 *     GET  /namespaces/{ns}/export    Repositories (?names=a,b, else all) and the Registries they use, as YAML
 *
 * Neither answer fits `request` (a 422 here is a plan to show, not an error;
 * the export is YAML, not JSON), so both go through `send` below, which
 * keeps the client's token and 401 handling.
 */
import { API_PREFIX, ApiError, authHeaders, notifyUnauthorized, nsPath, query, type Registry, type Repository, type Status } from './client.ts';

/** `format` of an import: detected (`auto`) unless given. */
export const IMPORT_FORMATS = ['auto', 'resources', 'tugboat', 'skopeo', 'image-syncer', 'list'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportRequest {
  content: string;
  format?: ImportFormat;
  dryRun?: boolean;
  /** Existing names are reported as `exists` and left alone instead of failing the import. */
  skipExisting?: boolean;
  /** Mirror every image under this Registry (and path prefix) when the text names no destination. */
  mirror?: { registryRef: { name: string }; prefix?: string };
  syncInterval?: string;
}

/** One cause of an invalid row: `reason` is stable (src/server/repository-import.ts IMPORT_CAUSES, or a schema reason), `message` the server's English. */
export interface ImportCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface ImportRow {
  row: number;
  /** `line N` of the text. */
  origin: string;
  kind: 'Repository' | 'Registry';
  name: string;
  source?: string;
  state: 'create' | 'exists' | 'invalid';
  causes: ImportCause[];
  object?: Repository | Registry;
  /** A filter entry's followed tags as its first sync takes them (spec.tag first). */
  tags?: string[];
}

export interface ImportResult {
  kind: 'RepositoryImport';
  metadata: { namespace: string };
  dryRun: boolean;
  format: Exclude<ImportFormat, 'auto'>;
  status: { phase: 'Planned' | 'Created' | 'Refused'; rows: number; valid: number; invalid: number; existing: number; created: number };
  rows: ImportRow[];
}

/** One call with the stored token: the answer's code and text; a 401 signs the user out as every request does. */
async function send(path: string, init: { method?: string; body?: unknown; accept: string; signal?: AbortSignal | undefined }): Promise<{ code: number; text: string }> {
  const headers: Record<string, string> = { Accept: init.accept, ...authHeaders() };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API_PREFIX}/${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal ?? null });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `network error: ${(err as Error).message}`);
  }
  return { code: res.status, text: await res.text() };
}

function failure(code: number, text: string): ApiError {
  let status: Status | undefined;
  try {
    const json = JSON.parse(text) as Status;
    if (json && json.kind === 'Status') status = json;
  } catch {
    status = undefined;
  }
  const message = status?.message ?? (text.slice(0, 300) || `HTTP ${code}`);
  if (code === 401) notifyUnauthorized(message);
  return new ApiError(code, message, status);
}

/**
 * Validates (`dryRun`) or creates. Resolves with the plan for 200, 201 and
 * 422 (some row invalid: nothing was created); rejects with an ApiError
 * otherwise (400: the text is not any format; 403; 409: a race lost and rolled back).
 */
export async function runImport(namespace: string, req: ImportRequest, signal?: AbortSignal): Promise<ImportResult> {
  const { code, text } = await send(nsPath(namespace, 'imports'), { method: 'POST', body: req, accept: 'application/json', signal });
  if (code === 200 || code === 201 || code === 422) {
    const json = JSON.parse(text) as ImportResult | Status;
    if (json.kind === 'RepositoryImport') return json;
  }
  throw failure(code, text);
}

/** Names per export request (the query string stays a few KB). */
const EXPORT_CHUNK = 100;

/** Splits YAML at its document markers (the export joins documents with `---` lines). */
const documents = (yaml: string) => yaml.split(/^---\r?\n/m).filter((d) => d.trim() !== '');

/**
 * The YAML of `names` in `namespace` (every Repository when `names` is
 * undefined) with the Registries they use, in as many requests as the names
 * need; a Registry two requests both carry is written once, Registries first
 * (as the export writes them, so `tug apply` creates them before what names them).
 */
export async function exportRepositories(namespace: string, names: readonly string[] | undefined, signal?: AbortSignal): Promise<string> {
  const chunks: (string | undefined)[] = [];
  if (names === undefined) chunks.push(undefined);
  else for (let i = 0; i < names.length; i += EXPORT_CHUNK) chunks.push(names.slice(i, i + EXPORT_CHUNK).join(','));
  const docs: string[] = [];
  for (const names of chunks) {
    const { code, text } = await send(`${nsPath(namespace, 'export')}${query({ names })}`, { accept: 'application/yaml', signal });
    if (code !== 200) throw failure(code, text);
    docs.push(...documents(text));
  }
  const unique = [...new Set(docs)];
  const isRegistry = (d: string) => /^kind: Registry$/m.test(d);
  return [...unique.filter(isRegistry), ...unique.filter((d) => !isRegistry(d))].join('---\n');
}
