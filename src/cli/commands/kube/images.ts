/**
 * `tug kube images [FILE...]`: the images manifests, values files or a
 * rendered chart (`helm template ... | tug kube images -`) use, as an image
 * list or a sync file for `tug sync`.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { findImages } from '../../../kube/images.ts';
import { imageListText, syncFileText } from '../../../kube/image-list.ts';
import { failOnProblems, readInputs } from './inputs.ts';

export function kubeImagesCommand() {
  return new Command('images')
    .description('List the images of Kubernetes manifests, Helm values or rendered charts, as an image list or a sync file')
    .argument('[files...]', 'YAML files; - or none: standard input')
    .addOption(new Option('-o, --output <format>', 'what to print').choices(['list', 'sync-file', 'json'] as const).default('list' as const))
    .option('--dest <prefix>', 'with -o sync-file: the destination prefix written as destination:, e.g. registry.example.com/edge')
    .action(async (files, opts) => {
      const inputs = await readInputs(files);
      const found = inputs.map((i) => findImages(i));
      failOnProblems(found.flatMap((f) => f.problems));
      const sites = found.flatMap((f) => f.sites);
      const refs = sites.map((s) => s.ref);
      for (const s of sites) {
        if (s.kind === 'helm' && s.ref.tag === undefined && s.ref.digest === undefined) {
          process.stderr.write(`Note: ${s.file}:${s.line}: ${s.path} has no tag: the chart's default applies (often its appVersion); listed without one, which tug sync reads as latest\n`);
        }
      }
      if (opts.output === 'json') {
        for (const s of sites) process.stdout.write(`${JSON.stringify({ image: s.ref.toString(), file: s.file, document: s.document, line: s.line, path: s.path })}\n`);
      } else if (opts.output === 'sync-file') {
        process.stdout.write(syncFileText(refs, { destination: opts.dest, comment: `Images found by tug kube images in ${inputs.map((i) => i.file).join(', ')}.\nMirror them with: tug sync THIS_FILE${opts.dest ? '' : ' DESTINATION'}` }));
      } else process.stdout.write(imageListText(refs));
    });
}
