/**
 * `tug apply -f FILE.yaml`: creates or updates the Registry and Repository
 * documents of a (multi-document) YAML or JSON file on a `tug serve` server,
 * like kubectl apply: an object that exists is replaced (keeping what the
 * server owns), one that does not is created. Changing a Repository's
 * registry, path or tag is refused by the server: delete and re-create it.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import type { Resource } from '../../api/kinds.ts';
import { API_VERSION, GROUP } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { addServerFlags, serverClient } from '../server-client.ts';

type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; [k: string]: unknown }; spec?: Record<string, unknown> };

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new TugError('USAGE', `reading ${file}: ${(err as Error).message}`);
  }
}

/** Parses every document of a YAML stream (JSON is YAML); line numbers in errors. */
export async function parseDocuments(text: string, file: string): Promise<Doc[]> {
  // Loaded here, not at start: only apply and get -o yaml need it.
  const { default: YAML } = await import('yaml');
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Doc[] = [];
  for (const d of list) {
    if (d.errors.length > 0) throw new TugError('USAGE', `${file}: ${d.errors[0]!.message}`);
    const value = d.toJS({ maxAliasCount: 50 }) as unknown;
    if (value === null || value === undefined) continue;
    // A `kind: List` (kubectl get -o yaml) holds its objects in items.
    if (typeof value === 'object' && (value as { kind?: unknown }).kind?.toString().endsWith('List') && Array.isArray((value as { items?: unknown }).items)) {
      out.push(...((value as { items: Doc[] }).items));
    } else out.push(value as Doc);
  }
  return out;
}

/** True when every field the user wrote already has that value on the server. */
function subsetEqual(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== 'object' || Array.isArray(want)) return JSON.stringify(want) === JSON.stringify(have);
  if (have === null || typeof have !== 'object') return false;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => subsetEqual(v, (have as Record<string, unknown>)[k]));
}

export function applyCommand() {
  const cmd = new Command('apply')
    .description('Create or update registries and repositories on a tug serve server from YAML (several documents per file)')
    .requiredOption('-f, --filename <file>', 'YAML or JSON file, "-" for stdin')
    .addOption(new Option('-n, --namespace <ns>', 'namespace for documents that name none').default('default'));
  return addServerFlags(cmd).action(async (opts) => {
    const docs = await parseDocuments(await readInput(opts.filename), opts.filename);
    if (docs.length === 0) throw new TugError('USAGE', `${opts.filename}: no documents`);
    const client = await serverClient(opts);
    const { KIND_LIST, kindNamed } = await import('../../api/kinds.ts');
    let failed = 0;
    for (const [i, doc] of docs.entries()) {
      const kind = typeof doc.kind === 'string' ? doc.kind : '';
      const known = kindNamed(kind);
      const name = typeof doc.metadata?.name === 'string' ? doc.metadata.name : '';
      const label = `${kind.toLowerCase() || 'document'}.${GROUP}/${name || `#${i + 1}`}`;
      try {
        if (doc.apiVersion !== API_VERSION) throw new TugError('USAGE', `apiVersion must be ${API_VERSION}`);
        if (!known) throw new TugError('USAGE', `kind must be ${KIND_LIST.map((k) => k.kind).join(' or ')}, got "${kind}"`);
        if (!name) throw new TugError('USAGE', 'metadata.name is required');
        const ns = typeof doc.metadata?.namespace === 'string' ? doc.metadata.namespace : opts.namespace;
        const path = `/namespaces/${encodeURIComponent(ns)}/${known.plural}`;
        const existing = await client.request<Resource>('GET', `${path}/${encodeURIComponent(name)}`, undefined, { allow404: true });
        if (existing.status === 404) {
          await client.request('POST', path, { ...doc, metadata: { ...doc.metadata, namespace: ns } });
          process.stdout.write(`${label} created\n`);
          continue;
        }
        const have = existing.body;
        const writesSecret = known.writesSecret?.(doc.spec) === true;
        const meta = doc.metadata ?? {};
        const same =
          !writesSecret &&
          subsetEqual(doc.spec, have.spec) &&
          subsetEqual(meta.labels ?? {}, have.metadata.labels ?? {}) &&
          subsetEqual(have.metadata.labels ?? {}, meta.labels ?? {}) &&
          subsetEqual(meta.annotations ?? {}, have.metadata.annotations ?? {}) &&
          subsetEqual(have.metadata.annotations ?? {}, meta.annotations ?? {});
        if (same) {
          process.stdout.write(`${label} unchanged\n`);
          continue;
        }
        await client.request('PUT', `${path}/${encodeURIComponent(name)}`, { ...doc, metadata: { ...meta, namespace: ns, resourceVersion: have.metadata.resourceVersion } });
        process.stdout.write(`${label} configured\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`tug: error: ${label}: ${err instanceof TugError ? err.describe() : (err as Error).message}\n`);
      }
    }
    if (failed > 0) throw new TugError('USAGE', `${failed} of ${docs.length} document(s) failed`);
  });
}
