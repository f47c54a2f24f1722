/**
 * Rewrites the images of a YAML stream in place: only the scalars that hold
 * an image change, byte for byte everything else stays (comments, blank
 * lines, quoting, key order, `---` separators), because the new values are
 * spliced into the source at the ranges the yaml parser reports for those
 * nodes instead of re-serialising the documents. That is also what makes
 * `rewrite` then `rewrite --reverse` give back the original bytes.
 *
 * Pure: text and a mapping function in, text out.
 */
import type { Scalar } from 'yaml';
import { DOCKER_HUB, type Reference } from '../reference/index.ts';
import { findImages, type FoundImages, type HelmSite, type ImageSite, type KubeInput, type KubeProblem, scalarText } from './images.ts';

/** One image changed. */
export interface RewriteChange {
  file: string;
  document: number;
  line: number;
  path: string;
  from: string;
  to: string;
}

export interface RewriteResult {
  text: string;
  changes: RewriteChange[];
  /** Images the mapping left alone (not covered by the rules), fully qualified, distinct. */
  unmapped: string[];
  problems: KubeProblem[];
}

/** The new image for an old one; undefined = leave it. */
export type ImageMap = (ref: Reference) => Reference | undefined;

/** The repository as people write it: Docker Hub without its host and `library/` (docker's familiar form), others in full. */
export function spellName(ref: Reference): string {
  return ref.registry === DOCKER_HUB ? helmPath(ref) : ref.name;
}

/** `spellName` plus the tag and digest the reference has. */
export function spellImage(ref: Reference): string {
  return ref.familiar();
}

/** The repository path as a Helm `repository:` next to a `registry:` field holds it (`nginx` for docker.io/library/nginx). */
function helmPath(ref: Reference): string {
  return ref.registry === DOCKER_HUB && /^library\/[^/]+$/.test(ref.repository) ? ref.repository.slice('library/'.length) : ref.repository;
}

const PLAIN_UNSAFE = /^$|^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$|^0x[\da-f]+$|^0o[0-7]+$|^(true|false|yes|no|on|off|y|n|null|~)$|^[-?:,[\]{}#&*!|>'"%@`]|[:#]\s|\s#|\s$|^\s/i;

/** A new value for `node` in the node's own style (plain stays plain unless the value would not read back as that string). */
function scalarSource(node: Scalar, value: string): string {
  if (node.type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (node.type === 'QUOTE_DOUBLE' || PLAIN_UNSAFE.test(value)) return JSON.stringify(value);
  return value;
}

/**
 * Rewrites every image of `input` that `map` names a new image for. Sites
 * that cannot take the new value (a digest with nowhere to go, two images
 * wanting different `global.imageRegistry` values) become problems and are
 * left unchanged; the rest are still rewritten.
 */
export function rewriteImages(input: KubeInput, map: ImageMap, found: FoundImages = findImages(input)): RewriteResult {
  const result: RewriteResult = { text: input.text, changes: [], unmapped: [], problems: [...found.problems] };
  if (found.problems.some((p) => p.path === '')) return result; // a document that did not parse is not edited
  const edits = new Map<Scalar, string>();
  const unmapped = new Set<string>();
  const problem = (site: ImageSite, message: string) =>
    result.problems.push({ file: site.file, document: site.document, line: site.line, path: site.path, message });

  for (const site of found.sites) {
    const next = map(site.ref);
    if (!next) {
      unmapped.add(site.ref.toString());
      continue;
    }
    const planned = site.kind === 'string' ? new Map([[site.node, spellImage(next)]]) : helmEdits(site, next, (m) => problem(site, m));
    if (!planned) continue;
    const clash = [...planned].find(([node, value]) => edits.has(node) && edits.get(node) !== value);
    if (clash) {
      problem(site, `needs ${scalarText(clash[0]) ?? ''} to be "${clash[1]}" but another image needs "${edits.get(clash[0])}" (give this image its own registry: field, or map both to one registry)`);
      continue;
    }
    for (const [node, value] of planned) edits.set(node, value);
    result.changes.push({ file: site.file, document: site.document, line: site.line, path: site.path, from: site.ref.toString(), to: next.toString() });
  }
  result.unmapped = [...unmapped];

  const splices = [...edits]
    .filter(([node, value]) => scalarText(node) !== value)
    .map(([node, value]) => ({ start: node.range![0], end: node.range![1], text: scalarSource(node, value) }))
    .sort((a, b) => b.start - a.start);
  let text = input.text;
  for (const s of splices) text = text.slice(0, s.start) + s.text + text.slice(s.end);
  result.text = text;
  return result;
}

/** The scalar values a Helm `image:` object needs for `next`, or undefined (with a problem) when it cannot hold it. */
function helmEdits(site: HelmSite, next: Reference, problem: (message: string) => void): Map<Scalar, string> | undefined {
  const edits = new Map<Scalar, string>();
  const registryNode = site.globalRegistry ?? site.registry;
  if (registryNode) {
    edits.set(registryNode, next.registry);
    if (site.globalRegistry && site.registry && scalarText(site.registry)) edits.set(site.registry, next.registry);
    edits.set(site.repository, helmPath(next));
  } else {
    edits.set(site.repository, spellName(next));
  }
  const tagNow = site.tag ? (scalarText(site.tag) ?? '') : '';
  const digestNow = site.digest ? (scalarText(site.digest) ?? '') : '';
  if (site.digest) {
    if ((next.digest ?? '') !== digestNow) edits.set(site.digest, next.digest ?? '');
    if ((next.tag ?? '') !== tagNow && site.tag) edits.set(site.tag, next.tag ?? '');
  } else {
    // Charts without a digest field join repository:tag, so a digest rides on the tag (`v1.6.0@sha256:...` is a valid reference).
    const wanted = `${next.tag ?? ''}${next.digest ? `@${next.digest}` : ''}`;
    if (wanted !== tagNow) {
      if (!site.tag) {
        problem(`has no tag: field to hold "${wanted}" (add tag: "" or digest: "" to the values)`);
        return undefined;
      }
      edits.set(site.tag, wanted);
    }
  }
  return edits;
}
