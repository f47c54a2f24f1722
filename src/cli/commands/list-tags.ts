/** `tug list-tags REPOSITORY`: skopeo list-tags' JSON output. */
import { Command } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { isTagLister, parseImageName } from '../../transports/index.ts';
import { type GlobalOptions, addCommonFlags, addCredentialFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { commandSignal, dockerName } from '../runtime.ts';
import { printingEvents } from '../transport-events.ts';

export function listTagsCommand(globals: () => GlobalOptions) {
  const cmd = new Command('list-tags')
    .description('List the tags of a repository')
    .argument('<repository>', 'e.g. docker://registry.example.com/edge/yurthub, oci:/path, registry-dir:/var/lib/registry:edge/yurthub');
  return addCommonFlags(addCredentialFlags(addRegistryFlags(cmd, ''), '')).action(async (name, opts) => {
    const ref = parseImageName(name);
    if (!isTagLister(ref)) throw new TugError('USAGE', `${ref.transport.name}: does not have tags`, { hint: 'use docker://, oci:, docker-archive: or registry-dir:' });
    const tags = await ref.listTags(printingEvents(contextFrom(opts, '')), { signal: commandSignal(globals()) });
    const repository = dockerName(ref) ?? ref.reference;
    process.stdout.write(`${JSON.stringify({ Repository: repository, Tags: tags }, null, 4)}\n`);
  });
}
