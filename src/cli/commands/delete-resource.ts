/**
 * `tug delete repository|registry NAME [NAME...] -n NS`: deletes objects on a
 * `tug serve` server. Reached through `tug delete` (./delete.ts), whose
 * first argument is otherwise an image.
 */
import { type Command, Option } from 'commander';
import { API_VERSION } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { addServerFlags, pluralOf, serverClient } from '../server-client.ts';

/** Whether `tug delete ARG ...` means a server object (ARG is a kind) rather than an image. */
export function isResourceKind(arg: string): boolean {
  const p = pluralOf(arg);
  return p === 'repositories' || p === 'registries';
}

export function addResourceDeleteFlags(cmd: Command): Command {
  cmd.addOption(new Option('-n, --namespace <ns>', 'namespace (tug delete repository|registry)').default('default'));
  return addServerFlags(cmd);
}

export async function deleteResources(kind: string, names: string[], opts: { namespace: string; server?: string; tokenFile?: string }): Promise<void> {
  const plural = pluralOf(kind);
  if (plural !== 'repositories' && plural !== 'registries') throw new TugError('USAGE', `cannot delete "${kind}"`);
  if (names.length === 0) throw new TugError('USAGE', `tug delete ${kind} NAME: name what to delete`);
  const client = await serverClient(opts);
  const singular = plural === 'repositories' ? 'repository' : 'registry';
  for (const name of names) {
    await client.request('DELETE', `/namespaces/${encodeURIComponent(opts.namespace)}/${plural}/${encodeURIComponent(name)}`);
    process.stdout.write(`${singular}.${API_VERSION.split('/')[0]} "${name}" deleted\n`);
  }
}
