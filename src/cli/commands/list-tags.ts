/** `tug list-tags REPOSITORY`: skopeo list-tags' JSON output. */
import { Command } from 'commander';
import { TugError } from '../../errors/index.ts';
import { isTagLister, parseImageName } from '../../transports/index.ts';
import { addCommonFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { type GlobalOptions, commandSignal, dockerName } from '../runtime.ts';

export function listTagsCommand(globals: () => GlobalOptions): Command {
  const cmd = new Command('list-tags')
    .description('List the tags of a repository')
    .argument('<repository>', 'e.g. docker://registry.example.com/edge/yurthub, oci:/path, registry-dir:/var/lib/registry:edge/yurthub');
  addRegistryFlags(cmd, '');
  addCommonFlags(cmd);
  return cmd.action(async (name: string, opts: Record<string, unknown>) => {
    const ref = parseImageName(name);
    if (!isTagLister(ref)) throw new TugError('USAGE', `${ref.transport.name}: does not have tags`, { hint: 'use docker://, oci:, docker-archive: or registry-dir:' });
    const tags = await ref.listTags(contextFrom(opts, ''), { signal: commandSignal(globals()) });
    const repository = dockerName(ref) ?? ref.reference;
    process.stdout.write(`${JSON.stringify({ Repository: repository, Tags: tags }, null, 4)}\n`);
  });
}
