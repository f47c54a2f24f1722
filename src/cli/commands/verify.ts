/**
 * `tug verify`: is the mirror complete? Every image of a list present at the
 * destination, every requested platform in it, optionally every blob (HEAD).
 * Prints what is missing and exits 1 when anything is.
 */
import { Command, Option } from 'commander';
import { TugError } from '../../errors/index.ts';
import { parsePlatformList } from '../../oci/platform.ts';
import { type DestinationKind, enumerate } from '../../sync/discover.ts';
import { verifyMirror } from '../../sync/verify.ts';
import { addCommonFlags, addRegistryFlags } from '../options.ts';
import { type GlobalOptions, commandSignal } from '../runtime.ts';
import { type SrcKind, SRC_KINDS, jobContexts, loadJob, outputMode } from '../sync-job.ts';

export function verifyCommand(globals: () => GlobalOptions): Command {
  const cmd = new Command('verify')
    .description('Check that every image of a list is present at the destination, with every platform (and blob)')
    .requiredOption('-f, --file <list>', 'image list, skopeo sync YAML, image-syncer config or Tugboat sync file')
    .option('--dest <destination>', 'registry prefix (or directory with --dest-kind); default: the file\'s destination / mappings')
    .addOption(new Option('--dest-kind <kind>', 'what the destination is').choices(['docker', 'dir', 'oci', 'registry-dir']).default('docker'))
    .addOption(new Option('--src <kind>', 'format of the file (default: detected)').choices(SRC_KINDS.filter((k) => k !== 'docker' && k !== 'dir')))
    .option('--platform <list>', 'platforms every image must have, e.g. linux/amd64,linux/arm64')
    .option('--blobs', 'also check that every blob is present (one HEAD each)')
    .option('--scoped', 'the mirror keeps full source names (sync --scoped)')
    .option('--json', 'print one JSON object per image');
  addRegistryFlags(cmd, 'dest-', 'the destination registry');
  addRegistryFlags(cmd, 'src-', 'source registries (only when a tag filter must list tags)');
  addCommonFlags(cmd);
  return cmd.action(async (opts: Record<string, unknown>) => {
    const spec = await loadJob([opts.file as string], opts.src as SrcKind | undefined);
    const mode = outputMode(opts);
    const { contextFor } = jobContexts(spec, opts, mode);
    const signal = commandSignal(globals());
    const observations = await enumerate(spec, {
      destination: { kind: opts.destKind as DestinationKind, location: (opts.dest as string | undefined) ?? spec.destination ?? '' },
      scoped: opts.scoped === true,
      platforms: 'all',
      contextFor,
      signal,
    });
    const results = await verifyMirror(observations, {
      platforms: opts.platform ? parsePlatformList(opts.platform as string) : undefined,
      blobs: opts.blobs === true,
      contextFor,
      signal,
    });
    let bad = 0;
    for (const r of results) {
      if (!r.ok) bad++;
      if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (r.ok) process.stdout.write(`ok      ${r.image} (${r.platforms.join(', ')})\n`);
      else process.stdout.write(`MISSING ${r.image}: ${r.error ?? r.missing.join(', ')}\n`);
    }
    if (!opts.json) process.stdout.write(`${results.length - bad} of ${results.length} images complete${bad ? `, ${bad} incomplete` : ''}\n`);
    if (bad > 0) throw new TugError('NOT_FOUND', `${bad} of ${results.length} images are missing or incomplete at the destination`, { hint: 're-run tug sync with the same file' });
  });
}
