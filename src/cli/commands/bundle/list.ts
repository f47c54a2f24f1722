/** `tug bundle list PATH...`: a chain of bundles and what each added (src/bundle/list.ts). */
import { Command } from '@commander-js/extra-typings';
import { chainOf, writeHistory } from '../../../bundle/history.ts';
import { listChain, readBundles } from '../../../bundle/list.ts';
import { formatBytes } from '../../format.ts';

export function bundleListCommand() {
  return new Command('list')
    .description('Show bundles in chain order (from bundle directories, a directory of them, or a history file), what each added, and any broken link')
    .argument('<paths...>', 'bundle directories, directories holding them, or history files')
    .option('--json', 'print one JSON object per bundle')
    .option('--write-history <file>', 'rebuild a --history file from these bundles (the chain ending at the newest)')
    .action(async (paths, opts) => {
      const found = await readBundles(paths);
      const listed = listChain(found);
      for (const b of listed) {
        if (opts.json) process.stdout.write(`${JSON.stringify(b)}\n`);
        else {
          const broken = b.missingParent ? `  BROKEN: parent ${b.missingParent} is not among these bundles` : '';
          process.stdout.write(`${b.id}  parent ${b.parent ?? 'none'}${b.full ? ' (full)' : ''}  ${b.created}  ${b.images.length} added/changed, ${b.unchanged} unchanged  ${formatBytes(b.carriedBytes)} carried  ${b.parts} part${b.parts === 1 ? '' : 's'}  ${b.from}${broken}\n`);
          for (const image of b.images) process.stdout.write(`    ${image}\n`);
        }
      }
      if (listed.length === 0) process.stderr.write('no bundles found\n');
      if (opts.writeHistory) {
        const chain = chainOf(found.map((f) => f.bundle));
        await writeHistory(opts.writeHistory, { bundles: chain });
        if (!opts.json) process.stdout.write(`Wrote ${opts.writeHistory}: ${chain.length} bundle${chain.length === 1 ? '' : 's'} (the chain ending at ${chain.at(-1)?.id ?? 'none'}).\n`);
      }
    });
}
