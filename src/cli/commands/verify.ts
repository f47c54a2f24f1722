/**
 * `tug verify`: two checks of what a copy or sync left behind.
 *
 * - `tug verify -f LIST`: is the mirror complete? Every image of a list
 *   present at the destination, every requested platform in it, optionally
 *   every blob (HEAD). Prints what is missing and exits 1 when anything is.
 * - `tug verify oci:PATH | dir:PATH | registry-dir:PATH`: is a local store
 *   intact? Every blob hashed against its name, every manifest reachable
 *   checked; each bad file named; exits 3 (integrity) when anything is bad.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { parsePlatformList } from '../../oci/platform.ts';
import { SYNC_FILE_TITLES } from '../../sync/config/readers.ts';
import { enumerate } from '../../sync/discover.ts';
import { verifyMirror } from '../../sync/verify.ts';
import { type StoreReport, parseStoreName, syncTarget, syncTargets } from '../../transports/index.ts';
import { formatBytes } from '../format.ts';
import { type GlobalOptions, addCommonFlags, addRegistryFlags, parsePositiveInt } from '../options.ts';
import { commandSignal } from '../runtime.ts';
import { FILE_SRC_KINDS, jobContexts, loadJob, outputMode } from '../sync-job.ts';

export function verifyCommand(globals: () => GlobalOptions) {
  const cmd = new Command('verify')
    .description('Check a mirror against a list (-f), or hash every blob and manifest of local stores (oci:PATH, dir:PATH, registry-dir:PATH)')
    .argument('[stores...]', 'local stores to check by their bytes: oci:PATH[:REF], dir:PATH, registry-dir:PATH[:REPO]')
    .option('-f, --file <list>', SYNC_FILE_TITLES)
    .option('--dest <destination>', 'registry prefix (or directory with --dest-kind); default: the file\'s destination / mappings')
    .addOption(new Option('--dest-kind <kind>', 'what the destination is').choices(syncTargets.map((t) => t.name)).default('docker'))
    .addOption(new Option('--src <kind>', 'format of the file (default: detected)').choices(FILE_SRC_KINDS))
    .option('--platform <list>', 'platforms every image must have, e.g. linux/amd64,linux/arm64')
    .option('--blobs', 'also check that every blob is present (one HEAD each)')
    .option('--scoped', 'the mirror keeps full source names (sync --scoped)')
    .addOption(new Option('--concurrency <n>', 'files hashed at once (local stores)').argParser(parsePositiveInt).default(4))
    .option('--json', 'print one JSON object per image (per problem and store, for local stores)');
  const sides = addRegistryFlags(addRegistryFlags(cmd, 'dest-', 'the destination registry'), 'src-', 'source registries (only when a tag filter must list tags)');
  return addCommonFlags(sides).action(async (stores, opts) => {
    if (stores.length > 0) {
      if (opts.file) throw new TugError('USAGE', 'give either -f LIST (a mirror) or local stores, not both');
      return verifyStores(stores, opts, commandSignal(globals()));
    }
    if (!opts.file) throw new TugError('USAGE', 'nothing to verify', { hint: 'tug verify -f LIST checks a mirror; tug verify oci:PATH (dir:PATH, registry-dir:PATH) checks a local store' });
    const spec = await loadJob([opts.file], opts.src);
    const mode = outputMode(opts);
    const { contextFor } = jobContexts(spec, opts, mode);
    const signal = commandSignal(globals());
    const observations = await enumerate(spec, {
      destination: { target: syncTarget(opts.destKind), location: opts.dest ?? spec.destination ?? '' },
      scoped: opts.scoped === true,
      platforms: 'all',
      contextFor,
      signal,
    });
    const results = await verifyMirror(observations, {
      platforms: opts.platform ? parsePlatformList(opts.platform) : undefined,
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

/** Checks each store in turn; one line per problem, a summary per store; INTEGRITY (exit 3) when any is bad. */
async function verifyStores(names: string[], opts: { concurrency: number; json?: boolean }, signal: AbortSignal): Promise<void> {
  const verifiers = names.map(parseStoreName); // every name checked before any hashing starts
  const reports: StoreReport[] = [];
  for (const verifier of verifiers) {
    const report = await verifier.verifyStore({ concurrency: opts.concurrency, signal });
    reports.push(report);
    for (const p of report.problems) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'problem', store: report.store, ...p })}\n`);
      else process.stdout.write(`${p.kind.toUpperCase().padEnd(7)} ${p.path}: ${p.detail}\n`);
    }
    const summary = `${report.store}: ${report.files} files (${formatBytes(report.bytes)}) hashed, ${report.manifests} manifests followed, ${report.problems.length ? `${report.problems.length} bad` : 'all good'}`;
    if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'store', store: report.store, files: report.files, bytes: report.bytes, manifests: report.manifests, problems: report.problems.length })}\n`);
    else process.stdout.write(`${summary}\n`);
  }
  const bad = reports.filter((r) => r.problems.length > 0);
  if (bad.length > 0) {
    const count = bad.reduce((n, r) => n + r.problems.length, 0);
    throw new TugError('INTEGRITY', `${count} bad or missing file${count === 1 ? '' : 's'} in ${bad.map((r) => r.store).join(', ')}`, {
      hint: 're-run the copy or sync that wrote it with --verify-existing: bad blobs are rewritten from the source',
    });
  }
}
