/** `tug inspect [--raw] [--config] [--format TEMPLATE] IMAGE`: skopeo inspect's output, byte for byte where it prints raw data. */
import { Command, Option } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { inspectOutput, readConfig, readTopLevel, resolveImage } from '../../inspect/inspect.ts';
import { hostPlatform } from '../../oci/platform.ts';
import { digestBytes } from '../../oci/verify.ts';
import { loadImageName } from '../../transports/table.ts';
import { isTagLister } from '../../transports/types.ts';
import { renderGoTemplate } from '../go-template.ts';
import { type GlobalOptions, addCommonFlags, addCredentialFlags, addRegistryFlags, contextFrom } from '../options.ts';
import { addDaemonHostFlag, daemonContext } from '../daemon-flags.ts';
import { commandSignal, dockerName, platformOverride } from '../runtime.ts';
import { printingEvents } from '../transport-events.ts';
import { preferNodeHttp } from '../../distribution/node-http.ts';

export function inspectCommand(globals: () => GlobalOptions) {
  const cmd = new Command('inspect')
    .description('Inspect an image: its manifest, config and tags')
    .argument('<image>', 'image name with transport, e.g. docker://nginx:1.27')
    .option('--raw', 'print the manifest (or with --config, the config) exactly as stored')
    .option('--config', 'print the image config instead of the summary')
    .option('-n, --no-tags', 'do not list the repository tags (faster on big repositories)')
    .option('-f, --format <template>', 'print the summary through a Go template: {{.Digest}}, {{.Name}}, {{.Labels.KEY}}, {{json .}}')
    .addOption(new Option('--manifest-digest <algorithm>', 'digest algorithm for the Digest field').choices(['sha256', 'sha512']));
  return addDaemonHostFlag(addCommonFlags(addCredentialFlags(addRegistryFlags(cmd, ''), '')), '').action(async (name, opts) => {
    // A few requests: node:http, without undici's start-up (distribution/node-http.ts).
    preferNodeHttp();
    const g = globals();
    if (opts.format !== undefined && opts.raw) throw new TugError('USAGE', '--raw conflicts with --format', { hint: 'use one of them' });
    const ref = await loadImageName(name);
    const ctx = printingEvents(contextFrom(opts, '', daemonContext(opts, '')));
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
        if (opts.format !== undefined) return void process.stdout.write(withNewline(renderGoTemplate(opts.format, config)));
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
      const digest = opts.manifestDigest && opts.manifestDigest !== 'sha256' ? digestBytes(top.bytes, opts.manifestDigest) : top.digest;
      const out = inspectOutput({ name: dockerName(ref), digest, tags, image, config });
      process.stdout.write(opts.format !== undefined ? withNewline(renderGoTemplate(opts.format, out)) : `${JSON.stringify(out, null, 4)}\n`);
    } finally {
      await source.close();
    }
  });
}

/** skopeo ends a template's output with a newline unless it has one. */
function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
