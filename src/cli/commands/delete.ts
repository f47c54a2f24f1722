/** `tug delete IMAGE`: deletes the manifest a tag points at (docker://) or the ref (oci:, registry-dir:). */
import { Command } from 'commander';
import { TugError } from '../../errors/index.ts';
import { isDeleter, parseImageName } from '../../transports/index.ts';
import { addCommonFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { type GlobalOptions, commandSignal } from '../runtime.ts';

export function deleteCommand(globals: () => GlobalOptions): Command {
  const cmd = new Command('delete')
    .description('Delete an image. On a registry this deletes the manifest by digest: every tag pointing at it goes too')
    .argument('<image>', 'e.g. docker://registry.example.com/edge/yurthub:v1.5.0');
  addRegistryFlags(cmd, '');
  addCommonFlags(cmd);
  return cmd.action(async (name: string, opts: Record<string, unknown>) => {
    const ref = parseImageName(name);
    if (!isDeleter(ref)) throw new TugError('USAGE', `${ref.transport.name}: images cannot be deleted through this transport`);
    await ref.deleteImage(contextFrom(opts, ''), { signal: commandSignal(globals()) });
  });
}
