/**
 * `tug kube mirror-config --for FORMAT`: node configuration that makes the
 * container runtime pull the upstream names from the mirror, with no
 * manifest change. Mappings a format cannot express are warnings (stderr,
 * and the `--format json` report), never a silent pull from the internet.
 */
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { TugError } from '../../../errors/index.ts';
import { writeFileAtomic } from '../../../fs/atomic.ts';
import { hostSettingsFrom, MIRROR_CONFIG_FORMATS, MIRROR_CONFIG_FORMAT_NAMES } from '../../../kube/mirror-config/index.ts';
import { collect, loadMapper } from './inputs.ts';

export function kubeMirrorConfigCommand() {
  return new Command('mirror-config')
    .description('Write node mirror configuration (containerd hosts.toml, k3s registries.yaml, registries.conf, daemon.json) from the mappings')
    .addOption(new Option('--for <format>', MIRROR_CONFIG_FORMATS.map((f) => `${f.name}: ${f.title}`).join('; ')).choices(MIRROR_CONFIG_FORMAT_NAMES).makeOptionMandatory())
    .option('-f, --file <sync-file>', 'sync file whose mappings and registries (plain-http, tls-verify, cert-dir) to use')
    .option('--map <from=to>', 'a mapping instead of a sync file (repeatable)', collect)
    .option('--dest <prefix>', 'the destination prefix tug sync was given (for sync files without one: skopeo YAML, image lists)')
    .option('--scoped', 'the mirror keeps full source names (tug sync --scoped)')
    .option('-o, --output-dir <dir>', 'write the files below this directory (default: print them)')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json'] as const).default('text' as const))
    .action(async (opts) => {
      const { mapper, spec, from } = await loadMapper(opts);
      const generator = MIRROR_CONFIG_FORMATS.find((f) => f.name === opts.for)!;
      const config = generator.generate({ rules: mapper.rules, hosts: hostSettingsFrom(spec?.registries ?? {}), from });
      for (const u of config.unexpressed) process.stderr.write(`warning: ${u.origin}: ${u.mapping}: not expressible in ${opts.for}: ${u.reason}; instead: ${u.instead}\n`);
      if (opts.outputDir) for (const f of config.files) await writeFileAtomic(join(opts.outputDir, f.path), f.content);
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify({ ...config, ...(opts.outputDir ? { outputDir: opts.outputDir } : {}) }, null, 2)}\n`);
      // A config with none of the mappings would leave every pull going to the internet: that is a failure, not an empty file.
      if (config.files.length === 0) {
        throw new TugError('UNSUPPORTED', `no mapping can be expressed in ${opts.for}, nothing written`, { hint: 'see the warnings above; tug kube rewrite changes the manifests instead' });
      }
      if (opts.format === 'json') return;
      if (opts.outputDir) for (const f of config.files) process.stdout.write(`wrote ${join(opts.outputDir, f.path)}\n`);
      else for (const f of config.files) process.stdout.write(`# ---- ${f.path}\n${f.content}`);
      for (const n of config.notes) process.stderr.write(`Note: ${n}\n`);
    });
}
