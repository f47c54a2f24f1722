/**
 * `tug get repositories|registries|syncruns [NAME] [-n NS | -A] [-o json|yaml|wide]`:
 * reads from a `tug serve` server, printed like kubectl get. For syncruns,
 * NAME is the repository whose history to show.
 */
import { Command, Option } from 'commander';
import { API_VERSION, DISPLAY_NAME_ANNOTATION, type List, type Registry, type Repository, type SyncRun } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { addServerFlags, pluralOf, serverClient } from '../server-client.ts';

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

function repositoryRows(items: Repository[], all: boolean, wide: boolean): string[][] {
  const head = [...(all ? ['NAMESPACE'] : []), 'NAME', 'DISPLAY NAME', 'REGISTRY', 'IMAGE', 'STATUS', 'LAST SYNCED', 'AGE'];
  if (wide) head.push('DIGEST', 'ARCH', 'SIZE', 'NEXT SYNC', 'MESSAGE');
  return [
    head,
    ...items.map((r) => {
      const row = [
        ...(all ? [r.metadata.namespace] : []),
        r.metadata.name,
        r.metadata.annotations?.[DISPLAY_NAME_ANNOTATION] ?? '',
        r.status?.domain ?? r.spec.registryRef.name,
        `${r.spec.repository}:${r.spec.tag}`,
        r.status?.syncStatus ?? 'Pending',
        r.status?.lastSynced ? age(r.status.lastSynced) : '-',
        age(r.metadata.creationTimestamp),
      ];
      if (wide) {
        row.push(
          r.status?.observedDigest ? r.status.observedDigest.slice(0, 19) : '-',
          (r.status?.platforms ?? []).map((p) => `${p.architecture}${p.variant ? `/${p.variant}` : ''}`).join(',') || '-',
          r.status?.manifest?.size ?? '-',
          r.status?.nextSyncTime ?? '-',
          r.status?.message ?? '',
        );
      }
      return row;
    }),
  ];
}

function registryRows(items: Registry[], all: boolean, wide: boolean): string[][] {
  const head = [...(all ? ['NAMESPACE'] : []), 'NAME', 'URL', 'USERNAME', 'REACHABLE', 'AUTHENTICATED', 'AGE'];
  if (wide) head.push('LAST CHECKED', 'MESSAGE');
  return [
    head,
    ...items.map((r) => {
      const row = [
        ...(all ? [r.metadata.namespace] : []),
        r.metadata.name,
        r.spec.url,
        r.spec.credentials?.username ?? (r.spec.credentials?.hasToken ? '<token>' : '-'),
        r.status?.reachable === undefined ? '-' : String(r.status.reachable),
        r.status?.authenticated === undefined ? '-' : String(r.status.authenticated),
        age(r.metadata.creationTimestamp),
      ];
      if (wide) row.push(r.status?.lastChecked ?? '-', r.status?.message ?? '');
      return row;
    }),
  ];
}

function runRows(items: SyncRun[], wide: boolean): string[][] {
  const head = ['NAME', 'TRIGGER', 'ATTEMPT', 'PHASE', 'STARTED', 'DURATION', 'BYTES MOVED', 'ERROR'];
  if (wide) head.push('DIGEST', 'LAYERS +/-', 'RUNNER');
  return [
    head,
    ...items.map((r) => {
      const ms = r.status.completionTime ? Date.parse(r.status.completionTime) - Date.parse(r.status.startTime) : undefined;
      const row = [
        r.metadata.name,
        r.spec.trigger,
        String(r.spec.attempt),
        r.status.phase,
        age(r.status.startTime),
        ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`,
        String(r.status.bytesMoved ?? 0),
        r.status.error ?? '',
      ];
      if (wide) row.push(r.status.digestAfter?.slice(0, 19) ?? '-', `+${r.status.layersAdded?.length ?? 0}/-${r.status.layersRemoved?.length ?? 0}`, r.status.runner ?? '-');
      return row;
    }),
  ];
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .description('Show repositories, registries or a repository\'s sync runs from a tug serve server')
    .argument('<kind>', 'repositories | registries | syncruns')
    .argument('[name]', 'one object (for syncruns: the repository)')
    .addOption(new Option('-n, --namespace <ns>', 'namespace').default('default'))
    .option('-A, --all-namespaces', 'every namespace the token may see')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml', 'wide']));
  addServerFlags(cmd);
  return cmd.action(async (kind: string, name: string | undefined, opts: { namespace: string; allNamespaces?: boolean; output?: string; server?: string; tokenFile?: string }) => {
    const plural = pluralOf(kind);
    if (!plural) throw new TugError('USAGE', `unknown kind "${kind}"`, { hint: 'use repositories, registries or syncruns' });
    const output: Output = (opts.output as Output | undefined) ?? 'table';
    const client = await serverClient(opts);
    const ns = encodeURIComponent(opts.namespace);
    const all = opts.allNamespaces === true && name === undefined;
    let value: unknown;
    let items: unknown[];
    if (plural === 'syncruns') {
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
      value = { apiVersion: API_VERSION, kind: plural === 'repositories' ? 'RepositoryList' : 'RegistryList', metadata: { totalCount: items.length }, items };
    }
    if (output === 'json') return void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    if (output === 'yaml') return void process.stdout.write((await import('yaml')).default.stringify(value));
    if (items.length === 0) {
      process.stderr.write(all ? `No ${plural} found.\n` : `No ${plural} found in ${opts.namespace} namespace.\n`);
      return;
    }
    const wide = output === 'wide';
    const rows = plural === 'repositories' ? repositoryRows(items as Repository[], all, wide) : plural === 'registries' ? registryRows(items as Registry[], all, wide) : runRows(items as SyncRun[], wide);
    process.stdout.write(table(rows));
  });
}
