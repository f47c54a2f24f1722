/**
 * Where a YAML stream names container images: Kubernetes manifests (every
 * workload kind, found by shape rather than by kind: any `containers`,
 * `initContainers` or `ephemeralContainers` list, so Pods, Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs' `jobTemplate`, Pod
 * templates, Lists and custom resources that embed a pod spec all count) and
 * Helm values (`image: repo:tag`, `image: {registry, repository, tag,
 * digest}`, `global.imageRegistry`).
 *
 * Pure: text in, sites out. Each site keeps the YAML nodes it came from,
 * whose source ranges rewrite.ts edits in place. Aliases are never
 * expanded (an alias bomb costs nothing here); an `image:` that is an
 * alias is followed one step to its anchor, which is the site (rewriting it
 * rewrites every use). Nothing here calls `toJS()`, so the yaml package's
 * `maxAliasCount` never comes into play: no alias is ever expanded.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type Scalar, type YAMLMap } from 'yaml';
import { errorText } from '../errors/index.ts';
import { parseReference, type Reference } from '../reference/index.ts';

/** A YAML text and the name to report it by (`-` for stdin). */
export interface KubeInput {
  file: string;
  text: string;
}

/** A problem with one place of one input: `file: document N: path: what (fix)`. */
export interface KubeProblem {
  file: string;
  /** 1-based document number in a multi-document stream. */
  document: number;
  line: number;
  path: string;
  message: string;
}

export function problemText(p: KubeProblem): string {
  return `${p.file}:${p.line}: document ${p.document}${p.path ? `: ${p.path}` : ''}: ${p.message}`;
}

interface SiteBase {
  file: string;
  document: number;
  line: number;
  /** `spec.template.spec.containers[0].image`. */
  path: string;
  /** Offset in the input of the node that names the image (sites are in this order within the input). */
  offset: number;
  /** The image as the YAML names it, normalised (tag and digest only when written). */
  ref: Reference;
}

/** `image: repo:tag` in a container or a values file: one scalar holds the whole reference. */
export interface StringSite extends SiteBase {
  kind: 'string';
  node: Scalar;
}

/** Helm's `image: {registry, repository, tag, digest}` (registry possibly from `global.imageRegistry`). */
export interface HelmSite extends SiteBase {
  kind: 'helm';
  repository: Scalar;
  registry?: Scalar | undefined;
  /** `global.imageRegistry` of the same document, when set: it overrides `registry` (Bitnami's convention). */
  globalRegistry?: Scalar | undefined;
  tag?: Scalar | undefined;
  digest?: Scalar | undefined;
}

export type ImageSite = StringSite | HelmSite;

export interface FoundImages {
  sites: ImageSite[];
  problems: KubeProblem[];
  /** The parsed documents, in order (rewrite.ts reads their source ranges). */
  documents: Document[];
}

/** Inputs above this size are refused before parsing (a values file or a rendered chart is far smaller). */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;
/** Nodes visited per input before giving up (a hostile document could otherwise hold the CPU). */
export const MAX_NODES = 2_000_000;

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** The text of a scalar as a string value: plain scalars as written (`tag: 1.10` is "1.10", not 1.1), quoted ones unquoted. */
export function scalarText(node: Scalar): string | undefined {
  if (typeof node.value === 'string') return node.value;
  if (node.type === 'PLAIN' && typeof node.source === 'string' && (typeof node.value === 'number' || typeof node.value === 'bigint')) return node.source;
  return undefined;
}

function keyOf(pair: unknown): string | undefined {
  if (!isPair(pair) || !isScalar(pair.key)) return undefined;
  return typeof pair.key.value === 'string' ? pair.key.value : undefined;
}

function field(map: YAMLMap, name: string): Scalar | undefined {
  const n = map.get(name, true);
  return isScalar(n) ? n : undefined;
}

/** Finds every image of a YAML stream. Never throws for content: bad places become problems. */
export function findImages(input: KubeInput): FoundImages {
  const out: FoundImages = { sites: [], problems: [], documents: [] };
  const size = Buffer.byteLength(input.text, 'utf8');
  if (size > MAX_INPUT_BYTES) {
    out.problems.push({ file: input.file, document: 1, line: 1, path: '', message: `${size} bytes is more than the ${MAX_INPUT_BYTES} bytes read (split the stream, e.g. one file per chart)` });
    return out;
  }
  const lines = new LineCounter();
  const documents = parseAllDocuments(input.text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  out.documents = list;
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  let budget = MAX_NODES;

  list.forEach((doc, index) => {
    const document = index + 1;
    const problem = (node: Node | undefined, path: string, message: string) =>
      out.problems.push({ file: input.file, document, line: lineAt(node?.range?.[0]), path, message });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      out.problems.push({ file: input.file, document, line: lineAt(e.pos[0]), path: '', message: `not valid YAML: ${errorText(e).split('\n')[0]} (fix the document; nothing of it is read)` });
      return;
    }
    const root = doc.contents;
    let globalRegistry: Scalar | undefined;
    if (isMap(root)) {
      const g = root.get('global', true);
      if (isMap(g)) {
        const r = field(g, 'imageRegistry');
        if (r && scalarText(r)) globalRegistry = r;
      }
    }
    const containerImages = new Set<Node>();
    /** Nodes already made a site (an anchor reached again through an alias). */
    const pushed = new Set<Node>();
    const stack: { node: unknown; path: string }[] = [{ node: root, path: '' }];
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      if (--budget < 0) {
        problem(undefined, '', `more than ${MAX_NODES} YAML nodes (split the stream; nothing after this point is read)`);
        return;
      }
      if (isAlias(node) || !node) continue;
      if (isSeq(node)) {
        for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], path: `${path}[${i}]` });
        continue;
      }
      if (!isMap(node)) continue;
      for (let i = node.items.length - 1; i >= 0; i--) {
        const pair = node.items[i]!;
        const key = keyOf(pair);
        if (key === undefined) continue;
        const at = path ? `${path}.${key}` : key;
        const value = pair.value;
        if (CONTAINER_LISTS.has(key) && isSeq(value)) {
          value.items.forEach((c, j) => {
            if (!isMap(c)) return;
            const written = c.get('image', true);
            const where = `${at}[${j}].image`;
            if (written === undefined || written === null) return;
            containerImages.add(written as Node);
            // An alias is followed one step to its anchor (never expanded): the anchor is what gets rewritten.
            const img = isAlias(written) ? written.resolve(doc) : written;
            if (img === undefined) return;
            // Kubernetes wants a string here: `image: 42` fails there, so it is named here.
            const text = isScalar(img) && typeof img.value === 'string' ? img.value : undefined;
            if (text === undefined || !isScalar(img)) {
              problem(img as Node, where, 'is not a string (expected an image reference such as nginx:1.27)');
              return;
            }
            pushString(img, text, where);
          });
        }
        if (key === 'image' && !containerImages.has(value as Node)) {
          const target = isAlias(value) ? value.resolve(doc) : value;
          if (isScalar(target)) {
            const text = scalarText(target);
            // In values files `image:` may be a flag, a template or empty: only references count.
            if (text && !/[{}\s]/.test(text)) pushString(target, text, at, true);
          } else if (isMap(target)) {
            pushHelm(target, at);
          }
        }
        stack.push({ node: value, path: at });
      }
    }

    function pushString(node: Scalar, text: string, path: string, quiet = false) {
      if (pushed.has(node)) return;
      pushed.add(node);
      if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
        problem(node, path, 'is a block scalar (write the image on one line: image: nginx:1.27)');
        return;
      }
      let ref: Reference;
      try {
        ref = parseReference(text, { defaultTag: false });
      } catch (err) {
        if (!quiet) problem(node, path, `${errorText(err)} (expected an image reference such as nginx:1.27)`);
        return;
      }
      out.sites.push({ kind: 'string', file: input.file, document, line: lineAt(node.range?.[0]), offset: node.range?.[0] ?? 0, path, ref, node });
    }

    function pushHelm(map: YAMLMap, path: string) {
      if (pushed.has(map)) return;
      pushed.add(map);
      const repository = field(map, 'repository');
      const repoText = repository ? scalarText(repository) : undefined;
      if (!repository || !repoText) return;
      const registry = field(map, 'registry');
      const tag = field(map, 'tag');
      const digest = field(map, 'digest');
      const registryText = (globalRegistry ? scalarText(globalRegistry) : undefined) || (registry ? scalarText(registry) : undefined);
      const tagText = tag ? scalarText(tag) : undefined;
      const digestText = digest ? scalarText(digest) : undefined;
      const name = registryText ? `${registryText.replace(/\/+$/, '')}/${repoText}` : repoText;
      const full = `${name}${tagText ? `:${tagText}` : ''}${digestText ? `@${digestText}` : ''}`;
      let ref: Reference;
      try {
        ref = parseReference(full, { defaultTag: false });
      } catch (err) {
        problem(repository, `${path}.repository`, `${errorText(err)} (expected registry, repository, tag and digest that form an image reference)`);
        return;
      }
      out.sites.push({
        kind: 'helm',
        file: input.file,
        document,
        line: lineAt(repository.range?.[0]),
        offset: repository.range?.[0] ?? 0,
        path,
        ref,
        repository,
        registry,
        globalRegistry: globalRegistry && registryText ? globalRegistry : undefined,
        tag,
        digest,
      });
    }
  });
  out.sites.sort((a, b) => a.offset - b.offset);
  return out;
}

/** The distinct images of some sites, fully qualified, in first-seen order. */
export function distinctImages(sites: readonly ImageSite[]): string[] {
  return [...new Set(sites.map((s) => s.ref.toString()))];
}
