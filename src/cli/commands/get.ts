/**
 * `tug get repositories|registries|syncruns [NAME] [-n NS | -A] [-o json|yaml|wide]`:
 * reads from a `tug serve` server, printed like kubectl get. For syncruns,
 * NAME is the repository whose history to show.
 */
import { Command, Option } from '@commander-js/extra-typings';
import type { PrinterColumn, Resource } from '../../api/kinds.ts';
import { API_VERSION, type List, type SyncRun } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { addServerFlags, serverClient } from '../server-client.ts';

type Output = 'table' | 'wide' | 'json' | 'yaml';

/** kubectl's AGE column: 45s, 12m, 5h, 3d. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n')}\n`;
}

/** A header row, then one row per item: `-` for a missing value, an age for a date. */
function rowsOf<R>(items: readonly R[], columns: readonly PrinterColumn<R>[], wide: boolean): string[][] {
  const shown = columns.filter((c) => wide || !c.wide);
  const cell = (c: PrinterColumn<R>, item: R) => {
    const v = c.value(item);
    return v === undefined ? '-' : c.type === 'date' ? age(v) : v;
  };
  return [shown.map((c) => c.name), ...items.map((item) => shown.map((c) => cell(c, item)))];
}

/** kubectl's frame around a kind's own columns: [NAMESPACE] NAME ... AGE, then the wide ones. */
function objectColumns(columns: readonly PrinterColumn<Resource>[], all: boolean): PrinterColumn<Resource>[] {
  return [
    ...(all ? [{ name: 'NAMESPACE', value: (r: Resource) => r.metadata.namespace }] : []),
    { name: 'NAME', value: (r) => r.metadata.name },
    ...columns.filter((c) => !c.wide),
    { name: 'AGE', value: (r) => age(r.metadata.creationTimestamp) },
    ...columns.filter((c) => c.wide),
  ];
}

/** Sync runs are no kind of their own: a repository's history, read through it. */
const SYNCRUN_NAMES = ['syncrun', 'syncruns', 'run', 'runs'];

const RUN_COLUMNS: readonly PrinterColumn<SyncRun>[] = [
  { name: 'NAME', value: (r) => r.metadata.name },
  { name: 'TRIGGER', value: (r) => r.spec.trigger },
  { name: 'ATTEMPT', value: (r) => String(r.spec.attempt) },
  { name: 'PHASE', value: (r) => r.status.phase },
  { name: 'STARTED', type: 'date', value: (r) => r.status.startTime },
  { name: 'DURATION', value: (r) => (r.status.completionTime ? `${((Date.parse(r.status.completionTime) - Date.parse(r.status.startTime)) / 1000).toFixed(1)}s` : undefined) },
  { name: 'BYTES MOVED', value: (r) => String(r.status.bytesMoved ?? 0) },
  { name: 'ERROR', value: (r) => r.status.error ?? '' },
  { name: 'DIGEST', wide: true, value: (r) => r.status.digestAfter?.slice(0, 19) },
  { name: 'LAYERS +/-', wide: true, value: (r) => `+${r.status.layersAdded?.length ?? 0}/-${r.status.layersRemoved?.length ?? 0}` },
  { name: 'RUNNER', wide: true, value: (r) => r.status.runner },
];

export function getCommand() {
  const cmd = new Command('get')
    .description('Show repositories, registries or a repository\'s sync runs from a tug serve server')
    .argument('<kind>', 'repositories | registries | syncruns')
    .argument('[name]', 'one object (for syncruns: the repository)')
    .addOption(new Option('-n, --namespace <ns>', 'namespace').default('default'))
    .option('-A, --all-namespaces', 'every namespace the token may see')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml', 'wide']));
  return addServerFlags(cmd).action(async (kindArg, name, opts) => {
    // The kinds table (and zod with it) loads only when a server command runs.
    const { KIND_LIST, kindNamed } = await import('../../api/kinds.ts');
    const runs = SYNCRUN_NAMES.includes(kindArg.toLowerCase());
    const kind = runs ? undefined : kindNamed(kindArg);
    if (!runs && !kind) throw new TugError('USAGE', `unknown kind "${kindArg}"`, { hint: `use ${[...KIND_LIST.map((k) => k.plural), 'syncruns'].join(', ')}` });
    const plural = kind?.plural ?? 'syncruns';
    const output: Output = opts.output ?? 'table';
    const client = await serverClient(opts);
    const ns = encodeURIComponent(opts.namespace);
    const all = opts.allNamespaces === true && name === undefined;
    let value: unknown;
    let items: unknown[];
    if (!kind) {
      if (!name) throw new TugError('USAGE', 'tug get syncruns REPOSITORY: name the repository');
      const body = (await client.request<List<SyncRun>>('GET', `/namespaces/${ns}/repositories/${encodeURIComponent(name)}/syncruns`)).body;
      value = body;
      items = body.items;
    } else if (name) {
      value = (await client.request('GET', `/namespaces/${ns}/${plural}/${encodeURIComponent(name)}`)).body;
      items = [value];
    } else {
      items = [];
      let cont: string | undefined;
      do {
        const page = (await client.request<List<unknown>>('GET', `${all ? '' : `/namespaces/${ns}`}/${plural}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).body;
        items.push(...page.items);
        cont = page.metadata.continue;
      } while (cont);
      value = { apiVersion: API_VERSION, kind: kind.listKind, metadata: { totalCount: items.length }, items };
    }
    if (output === 'json') return void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    if (output === 'yaml') return void process.stdout.write((await import('yaml')).default.stringify(value));
    if (items.length === 0) {
      process.stderr.write(all ? `No ${plural} found.\n` : `No ${plural} found in ${opts.namespace} namespace.\n`);
      return;
    }
    const wide = output === 'wide';
    const rows = kind ? rowsOf(items as Resource[], objectColumns(kind.columns, all), wide) : rowsOf(items as SyncRun[], RUN_COLUMNS, wide);
    process.stdout.write(table(rows));
  });
}
