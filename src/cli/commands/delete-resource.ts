/**
 * `tug delete KIND NAME [NAME...] -n NS`: deletes objects on a `tug serve`
 * server; KIND is any kind of src/api/kinds.ts (`repository`, `registry`).
 * Reached through `tug delete` (./delete.ts), whose first argument is
 * otherwise an image.
 */
import { type Command, Option, type OptionValues } from '@commander-js/extra-typings';
import type { Resource, ResourceKind } from '../../api/kinds.ts';
import { GROUP } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { type ServerOptions, addServerFlags, serverClient } from '../server-client.ts';

/**
 * The kind `tug delete ARG ...` names, or undefined when ARG is an image. An
 * image name always has a transport prefix (`docker://`, `oci:`), so only a
 * plain word loads the kinds table (and zod with it).
 */
export async function resourceKindNamed(arg: string): Promise<ResourceKind<Resource> | undefined> {
  if (arg.includes(':')) return undefined;
  return (await import('../../api/kinds.ts')).kindNamed(arg);
}

export function addResourceDeleteFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return addServerFlags(cmd.addOption(new Option('-n, --namespace <ns>', 'namespace (tug delete repository|registry)').default('default')));
}

export async function deleteResources(kind: ResourceKind<Resource>, names: string[], opts: { namespace: string } & ServerOptions): Promise<void> {
  const singular = kind.kind.toLowerCase();
  if (names.length === 0) throw new TugError('USAGE', `tug delete ${singular} NAME: name what to delete`);
  const client = await serverClient(opts);
  for (const name of names) {
    await client.request('DELETE', `/namespaces/${encodeURIComponent(opts.namespace)}/${kind.plural}/${encodeURIComponent(name)}`);
    process.stdout.write(`${singular}.${GROUP} "${name}" deleted\n`);
  }
}
