/** `tug inspect [--raw] [--config] IMAGE`: skopeo inspect's output, byte for byte where it prints raw data. */
import { Command } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { inspectOutput, readConfig, readTopLevel, resolveImage } from '../../inspect/inspect.ts';
import { hostPlatform } from '../../oci/platform.ts';
import { isTagLister, parseImageName } from '../../transports/index.ts';
import { type GlobalOptions, addCommonFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { commandSignal, dockerName, platformOverride } from '../runtime.ts';

export function inspectCommand(globals: () => GlobalOptions) {
  const cmd = new Command('inspect')
    .description('Inspect an image: its manifest, config and tags')
    .argument('<image>', 'image name with transport, e.g. docker://nginx:1.27')
    .option('--raw', 'print the manifest (or with --config, the config) exactly as stored')
    .option('--config', 'print the image config instead of the summary')
    .option('-n, --no-tags', 'do not list the repository tags (faster on big repositories)');
  return addCommonFlags(addRegistryFlags(cmd, '')).action(async (name, opts) => {
    const g = globals();
    const ref = parseImageName(name);
    const ctx = contextFrom(opts, '');
    const signal = commandSignal(g);
    const source = await ref.newSource(ctx);
    try {
      const top = await readTopLevel(source, signal);
      if (opts.raw && !opts.config) {
        process.stdout.write(top.bytes);
        return;
      }
      const image = await resolveImage(source, top, hostPlatform(platformOverride(g)), signal);
      const { bytes, config } = await readConfig(source, image.manifest, signal);
      if (opts.config) {
        process.stdout.write(opts.raw ? bytes : `${JSON.stringify(config, null, 4)}\n`);
        return;
      }
      let tags: string[] = [];
      if (opts.tags !== false && isTagLister(ref)) {
        try {
          tags = await ref.listTags(ctx, { signal });
        } catch (err) {
          if (!(err instanceof TugError) || err.code !== 'NOT_FOUND') throw err;
        }
      }
      const out = inspectOutput({ name: dockerName(ref), digest: top.digest, tags, image, config });
      process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
    } finally {
      await source.close();
    }
  });
}
