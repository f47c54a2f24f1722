/**
 * `tug delete IMAGE`: deletes the manifest a tag points at (docker://) or the ref (oci:, registry-dir:).
 * `tug delete repository|registry NAME -n NS`: deletes an object on a tug serve server (./delete-resource.ts).
 */
import { Command } from 'commander';
import { TugError } from '../../errors/index.ts';
import { isDeleter, parseImageName } from '../../transports/index.ts';
import { addCommonFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { addResourceDeleteFlags, deleteResources, isResourceKind } from './delete-resource.ts';
import { type GlobalOptions, commandSignal } from '../runtime.ts';

export function deleteCommand(globals: () => GlobalOptions): Command {
  const cmd = new Command('delete')
    .description('Delete an image. On a registry this deletes the manifest by digest: every tag pointing at it goes too')
    .argument('<image>', 'e.g. docker://registry.example.com/edge/yurthub:v1.5.0, or repository|registry for a tug serve object')
    .argument('[names...]', 'with repository|registry: the objects to delete');
  addRegistryFlags(cmd, '');
  addCommonFlags(cmd);
  addResourceDeleteFlags(cmd);
  return cmd.action(async (name: string, names: string[], opts: Record<string, unknown>) => {
    if (isResourceKind(name)) return deleteResources(name, names, opts as { namespace: string; server?: string; tokenFile?: string });
    if (names.length > 0) throw new TugError('USAGE', `tug delete IMAGE takes one image, got ${names.length + 1} arguments`);
    const ref = parseImageName(name);
    if (!isDeleter(ref)) throw new TugError('USAGE', `${ref.transport.name}: images cannot be deleted through this transport`);
    await ref.deleteImage(contextFrom(opts, ''), { signal: commandSignal(globals()) });
  });
}
