/** `tug bundle verify DIR`: check a bundle without a registry (src/bundle/verify.ts). */
import { Command } from '@commander-js/extra-typings';
import { bundleProblemsError, checkBundle } from '../../../bundle/verify.ts';
import { formatBytes } from '../../format.ts';
import { printProblems } from './problems.ts';

export function bundleVerifyCommand() {
  return new Command('verify')
    .description('Check a bundle without a registry: every part\'s size and sha256, the tar, every blob against its digest, bundle.json, each image\'s closure')
    .argument('<bundle>', 'the bundle directory (bundle.json, SHA256SUMS and the parts)')
    .option('--json', 'print problems and the result as JSON lines')
    .action(async (dir, opts) => {
      const started = Date.now();
      const check = await checkBundle(dir);
      printProblems(check.problems, opts.json === true);
      if (check.problems.length > 0) throw bundleProblemsError(check);
      const b = check.bundle;
      const summary = { type: 'bundle-verified', id: b.id, parent: b.parent, images: b.images.length, blobs: check.locations.size, parts: b.parts?.length ?? 0, bytes: check.bytes, seconds: (Date.now() - started) / 1000 };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(`Bundle ${b.id} is complete: ${summary.parts} part${summary.parts === 1 ? '' : 's'}, ${summary.blobs} blobs and manifests, ${summary.images} images; ${formatBytes(check.bytes)} checked in ${summary.seconds.toFixed(1)} s.\n`);
    });
}
