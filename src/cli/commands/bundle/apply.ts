/** `tug bundle apply BUNDLE DEST`: check a bundle, then push it as `tug sync` would (src/bundle/apply.ts). */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { applyBundle } from '../../../bundle/apply.ts';
import { MARKER_REPOSITORY } from '../../../bundle/state.ts';
import { syncFailure } from '../../../sync/outcome.ts';
import type { ItemResult } from '../../../sync/execute.ts';
import { syncTarget, syncTargets } from '../../../transports/index.ts';
import { type GlobalOptions, addTransferFlags, parsePositiveInt } from '../../options.ts';
import { commandSignal } from '../../runtime.ts';
import { jobContexts, outputMode } from '../../sync-job.ts';
import { createSyncProgress, printSummary } from '../../sync-output.ts';
import { printProblems } from './problems.ts';

export function bundleApplyCommand(globals: () => GlobalOptions) {
  const cmd = new Command('apply')
    .description('Check a bundle, refuse it if its parent was never applied here, then push its images (resumable, idempotent) and record it')
    .argument('<bundle>', 'the bundle directory (bundle.json, SHA256SUMS and the parts)')
    .argument('<destination>', 'registry host[/prefix] (--dest docker) or a directory (--dest registry-dir)')
    .addOption(new Option('-d, --dest <kind>', 'where images go').choices(syncTargets.map((t) => t.name)).default('docker'))
    .option('--marker-repository <path>', `where applied bundles are recorded below DESTINATION (default ${MARKER_REPOSITORY})`)
    .option('--force', 'skip the parent check (dangerous: images may then lack blobs that an unapplied bundle carried)')
    .option('--keep-going', 'continue after a failed image; list failures at the end')
    .option('--report <file>', 'write a JSON report of every image')
    .option('--digestfile <file>', 'write "DIGEST REFERENCE" for every image at the destination, one per line')
    .addOption(new Option('--jobs <n>', 'images copied at once').argParser(parsePositiveInt).default(4))
    .addOption(new Option('--concurrency <n>', 'blobs per image at once').argParser(parsePositiveInt).default(6))
    .addOption(new Option('--registry-concurrency <n>', 'blob transfers into the destination at once, across images').argParser(parsePositiveInt).default(8))
    .option('-q, --quiet', 'print only failures and the summary')
    .option('--json', 'print events as JSON lines');
  return addTransferFlags(cmd, 'unused (the bundle is the source)').action(async (dir, location, opts) => {
    const g = globals();
    const started = new Date();
    const signal = commandSignal(g);
    const mode = outputMode(opts);
    const { contextFor, setTransportSink } = jobContexts({ files: [], format: 'dir', sources: [], mappings: [], registries: {} }, opts, mode);
    let progress: Awaited<ReturnType<typeof createSyncProgress>> | undefined;
    const applied = await applyBundle(dir, {
      destination: { target: syncTarget(opts.dest), location },
      markerRepository: opts.markerRepository,
      force: opts.force === true,
      contextFor,
      imageConcurrency: opts.jobs,
      blobConcurrency: opts.concurrency,
      storeConcurrency: opts.registryConcurrency,
      keepGoing: opts.keepGoing === true,
      signal,
      onProblems: (problems) => printProblems(problems, mode === 'json'),
      onPlan: async (plan) => {
        progress = await createSyncProgress(mode, plan);
        setTransportSink((side, event) => progress?.onEvent({ type: 'copy', index: -1, event: { type: 'transport', side, event } }));
      },
      onEvent: (e) => progress?.onEvent(e),
    });
    progress?.done();
    const { results, check } = applied;
    const failed = results.filter((r) => r.status === 'failed' || r.status === 'not-run');
    if (opts.digestfile) await writeFile(opts.digestfile, digestLines(results));
    if (opts.report) {
      const report = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), bundle: { id: check.bundle.id, parent: check.bundle.parent }, counts: applied.plan.counts, failed: failed.length, marked: applied.marked, items: results };
      await writeFile(opts.report, `${JSON.stringify(report, null, 2)}\n`);
    }
    printSummary(results, Date.now() - started.getTime(), mode);
    if (failed.length > 0) {
      throw syncFailure(failed, results.length, opts.keepGoing ? 'see the list above; re-run the same command to finish: only what is missing moves' : 'stopped at the first failure; re-run the same command to finish: only what is missing moves');
    }
    if (mode === 'json') process.stdout.write(`${JSON.stringify({ type: 'bundle-applied', id: check.bundle.id, marked: applied.marked })}\n`);
    else if (mode !== 'quiet') process.stdout.write(`Bundle ${check.bundle.id} applied at ${location}${applied.marked ? '' : ' (it was already recorded there)'}.\n`);
  });
}

/** skopeo sync's --digestfile, as `tug sync` writes it. */
function digestLines(results: readonly ItemResult[]): string {
  return results
    .filter((r) => r.status !== 'failed' && r.status !== 'not-run')
    .map((r) => `${r.destinationDigest ?? r.sourceDigest ?? ''} ${r.destination}\n`)
    .join('');
}
