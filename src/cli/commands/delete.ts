/**
 * `tug delete IMAGE`: deletes the manifest a tag points at (docker://) or the ref (oci:, registry-dir:).
 * `tug delete repository|registry NAME -n NS`: deletes an object on a tug serve server (./delete-resource.ts).
 */
import { Command } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { isDeleter, parseImageName } from '../../transports/index.ts';
import { type GlobalOptions, addCommonFlags, addCredentialFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { addResourceDeleteFlags, deleteResources, resourceKindNamed } from './delete-resource.ts';
import { commandSignal } from '../runtime.ts';
import { printingEvents } from '../transport-events.ts';

export function deleteCommand(globals: () => GlobalOptions) {
  const cmd = new Command('delete')
    .description('Delete an image. On a registry this deletes the manifest by digest: every tag pointing at it goes too')
    .argument('<image>', 'e.g. docker://registry.example.com/edge/yurthub:v1.5.0, or repository|registry for a tug serve object')
    .argument('[names...]', 'with repository|registry: the objects to delete');
  return addResourceDeleteFlags(addCommonFlags(addCredentialFlags(addRegistryFlags(cmd, ''), ''))).action(async (name, names, opts) => {
    const kind = await resourceKindNamed(name);
    if (kind) return deleteResources(kind, names, opts);
    if (names.length > 0) throw new TugError('USAGE', `tug delete IMAGE takes one image, got ${names.length + 1} arguments`);
    const ref = parseImageName(name);
    if (!isDeleter(ref)) throw new TugError('USAGE', `${ref.transport.name}: images cannot be deleted through this transport`);
    await ref.deleteImage(printingEvents(contextFrom(opts, '')), { signal: commandSignal(globals()) });
  });
}
