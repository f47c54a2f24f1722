/**
 * `tug kube rewrite [FILE...]`: manifests and Helm values to the mirror
 * (`--reverse`: back to the public names), edited in place in the YAML
 * text; `--pin-digests` writes the mirror's digests, `--check` lists the
 * images the mirror lacks and exits 1.
 */
import { stat } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { TugError } from '../../../errors/index.ts';
import { writeFileAtomic } from '../../../fs/atomic.ts';
import { findImages, type ImageSite } from '../../../kube/images.ts';
import { mapImage } from '../../../kube/mapper.ts';
import { checkMirror, resolveDigests } from '../../../kube/mirror-lookup.ts';
import { rewriteImages } from '../../../kube/rewrite.ts';
import { Reference } from '../../../reference/index.ts';
import { type GlobalOptions, addRegistryFlags } from '../../options.ts';
import { commandSignal } from '../../runtime.ts';
import { jobContexts } from '../../sync-job.ts';
import { collect, failOnProblems, loadMapper, readInputs } from './inputs.ts';

/** The same name and tag without its digest (what a tag resolves to at the mirror). */
function withoutDigest(ref: Reference): Reference {
  return ref.digest ? Reference.from({ registry: ref.registry, repository: ref.repository, tag: ref.tag }) : ref;
}

export function kubeRewriteCommand(globals: () => GlobalOptions) {
  const cmd = new Command('rewrite')
    .description('Rewrite the images of Kubernetes manifests and Helm values to the mirror (comments and formatting kept)')
    .argument('[files...]', 'YAML files (manifests, values, rendered charts); - or none: standard input')
    .option('-f, --file <sync-file>', 'sync file whose mappings say where images are mirrored')
    .option('--map <from=to>', 'a mapping instead of a sync file, e.g. "docker.io/openyurt/*=registry.example.com/edge/*" (repeatable)', collect)
    .option('--dest <prefix>', 'the destination prefix tug sync was given (for sync files without one: skopeo YAML, image lists)')
    .option('--scoped', 'the mirror keeps full source names (tug sync --scoped)')
    .option('--reverse', 'rewrite mirror names back to the public images')
    .option('--pin-digests', 'write each image as tag@digest, resolved at the mirror')
    .option('--check', 'write nothing: list the images the mirror lacks, exit 1 if any')
    .option('-i, --in-place', 'write each file back (temp file, then rename) instead of standard output')
    .addOption(new Option('--format <format>', 'report format of --check and of the change list on stderr').choices(['text', 'json'] as const).default('text' as const));
  return addRegistryFlags(cmd, 'dest-', 'the mirror').action(async (files, opts) => {
    if (opts.reverse && (opts.pinDigests || opts.check)) throw new TugError('USAGE', '--reverse rewrites to public images: it takes neither --pin-digests nor --check');
    if (opts.inPlace && (files.length === 0 || files.includes('-'))) throw new TugError('USAGE', '--in-place needs files, not standard input');
    const inputs = await readInputs(files);
    if (!opts.inPlace && !opts.check && inputs.length > 1) throw new TugError('USAGE', 'several files need --in-place (standard output holds one)');
    const { mapper, spec } = await loadMapper(opts);
    const direction = opts.reverse ? 'reverse' : 'forward';
    const found = inputs.map((input) => ({ input, found: findImages(input) }));
    failOnProblems(found.flatMap((f) => f.found.problems));

    const sites = found.flatMap((f) => f.found.sites);
    const contexts = jobContexts(spec ?? { files: [], format: 'tugboat', sources: [], mappings: [], registries: {} }, opts, opts.format === 'json' ? 'json' : 'plain');
    const lookup = { contextFor: (registry: string) => contexts.contextFor(registry, 'destination'), signal: commandSignal(globals()) };

    if (opts.check) {
      const wanted = new Map<string, { source: string; mirror: Reference }>();
      const unmapped = new Set<string>();
      for (const s of sites) {
        const mirror = mapImage(mapper, s.ref, 'forward') ?? (mapper.reverse(s.ref.name) ? s.ref : undefined);
        if (mirror) wanted.set(mirror.toString(), { source: s.ref.toString(), mirror });
        else unmapped.add(s.ref.toString());
      }
      for (const u of unmapped) process.stderr.write(`Note: ${u} not checked (no mapping for it)\n`);
      const results = await checkMirror([...wanted.values()], lookup);
      const missing = results.filter((r) => !r.ok);
      for (const r of results) {
        if (opts.format === 'json') process.stdout.write(`${JSON.stringify(r)}\n`);
        else process.stdout.write(r.ok ? `ok      ${r.image.replace(/^docker:\/\//, '')}\n` : `MISSING ${r.image.replace(/^docker:\/\//, '')} (for ${r.source}): ${r.error ?? r.missing.join(', ')}\n`);
      }
      if (missing.length > 0) throw new TugError('NOT_FOUND', `${missing.length} of ${results.length} images are not in the mirror`, { hint: 'run tug sync with the sync file, then check again' });
      return;
    }

    let pinned: Map<string, { digest: string } | { error: string }> | undefined;
    if (opts.pinDigests) {
      // An image named by digest alone is pinned already; a tag (with or without a digest) is resolved again.
      const targets = sites
        .map((s: ImageSite) => mapImage(mapper, s.ref, 'forward') ?? (mapper.reverse(s.ref.name) ? s.ref : undefined))
        .filter((r): r is Reference => r !== undefined && !(r.digest && r.tag === undefined));
      pinned = await resolveDigests(targets.map(withoutDigest), lookup);
      const failed = [...pinned].filter(([, v]) => 'error' in v);
      if (failed.length > 0) {
        for (const [image, v] of failed) process.stderr.write(`tug: cannot pin ${image}: ${'error' in v ? v.error : ''}\n`);
        throw new TugError('NOT_FOUND', `${failed.length} image${failed.length === 1 ? '' : 's'} could not be resolved at the mirror, nothing written`, { hint: 'run tug sync first (tug kube rewrite --check lists what is missing)' });
      }
    }
    const map = (ref: Reference): Reference | undefined => {
      const next = mapImage(mapper, ref, direction) ?? (pinned && mapper.reverse(ref.name) ? ref : undefined);
      if (!next || !pinned || (next.digest && next.tag === undefined)) return next;
      const hit = pinned.get(withoutDigest(next).toString());
      return hit && 'digest' in hit ? next.withDigest(hit.digest) : next;
    };
    for (const { input, found: f } of found) {
      const result = rewriteImages(input, map, f);
      failOnProblems(result.problems);
      for (const c of result.changes) {
        if (opts.format === 'json') process.stderr.write(`${JSON.stringify(c)}\n`);
        else process.stderr.write(`${c.file}:${c.line}: ${c.path}: ${c.from} -> ${c.to}\n`);
      }
      for (const u of result.unmapped) process.stderr.write(`Note: ${input.file}: ${u} left as is (no mapping ${opts.reverse ? 'back from it' : 'for it'})\n`);
      if (opts.inPlace) {
        if (result.text !== input.text) await writeFileAtomic(input.file, result.text, (await stat(input.file)).mode & 0o777);
      } else process.stdout.write(result.text);
    }
  });
}
