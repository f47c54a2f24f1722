/**
 * Plain image lists, one reference per line, as kubesphere's
 * `images-list.txt` and many offline-install kits ship them:
 *
 * ```text
 * ##k8s-images
 * kubesphere/kube-apiserver:v1.26.12
 * # a comment
 * registry.k8s.io/pause:3.9
 * nginx                      # no tag: latest, as docker pulls it
 * ```
 *
 * `##name` starts a section (recorded on each source as `section`); `#`
 * starts a comment, also after a reference; blank lines and surrounding
 * white space are ignored. There is no destination column: lists name
 * sources only, and the destination comes from the command line.
 */
import { parseReference } from '../../reference/index.ts';
import type { SyncSource, SyncSpec } from '../spec.ts';
import { errorText } from '../../errors/index.ts';
import { isMap, Problems, stripBom, type ConfigIssue, type ConfigText } from './config-file.ts';
import { eachFile } from './merge.ts';
import type { SyncReader } from './readers.ts';

/** One line of a list, classified. */
type ListLine =
  | { kind: 'blank' }
  | { kind: 'section'; name: string }
  | { kind: 'image'; source: SyncSource }
  | { kind: 'bad'; problem: string };

function classify(raw: string, file: string, line: number): ListLine {
  const text = raw.trim();
  if (text === '') return { kind: 'blank' };
  if (text.startsWith('##')) {
    const name = text.replace(/^#+/, '').trim();
    return name === '' ? { kind: 'blank' } : { kind: 'section', name };
  }
  if (text.startsWith('#')) return { kind: 'blank' };
  // A reference never contains '#', so a '#' after white space starts a comment.
  const body = text.replace(/\s+#.*$/, '');
  const words = body.split(/\s+/);
  if (words.length > 1) {
    return { kind: 'bad', problem: `expected one image reference per line, found ${words.length} words "${body}" (a list names sources only; give the destination on the command line)` };
  }
  try {
    const ref = parseReference(body);
    const source: SyncSource = { repository: ref.name, filter: {}, origin: { file, line } };
    if (ref.digest !== undefined) {
      // `name:tag@digest`: copy the pinned digest and write it under the tag.
      source.filter.tags = [ref.digest];
      if (ref.tag !== undefined) source.aliases = { [ref.tag]: ref.digest };
    } else {
      source.filter.tags = [ref.tag ?? 'latest'];
    }
    return { kind: 'image', source };
  } catch (err) {
    return { kind: 'bad', problem: `${errorText(err)} (expected an image reference such as docker.io/openyurt/yurthub:v1.6.0)` };
  }
}

/** The `list` format of SYNC_READERS, tried last. */
export const imageListReader: SyncReader = {
  detect(d) {
    const list = scanImageList(d.input);
    if (list.issues.length === 0) return { fits: true };
    // Mostly references: a list with a few bad lines, which the reader reports line by line.
    if (!isMap(d.yaml?.root) && list.sources.length >= list.issues.length) return { fits: true };
    const first = list.issues[0];
    return { fits: false, why: `line ${first?.line ?? 1}: ${first?.message ?? 'not one image per line'}` };
  },
  read: eachFile((input) => readImageList(input)),
};

/**
 * Reads a plain image list. Throws a {@link SyncConfigError} with every bad
 * line (`FILE:LINE: invalid image reference ...`), or for a list without images.
 * Lines naming the same image twice give one source (the first).
 */
export function readImageList(input: ConfigText): SyncSpec {
  const result = scanImageList(input);
  if (result.issues.length > 0) {
    const problems = new Problems(input.file);
    for (const i of result.issues) problems.add(i.line, i.message);
    problems.throwIfAny();
  }
  return { files: [input.file], format: 'list', sources: result.sources, mappings: [], registries: {} };
}

/**
 * Scans a list without throwing: the sources and the problems. Format
 * detection uses it to decide whether a file is a list at all.
 */
export function scanImageList(input: ConfigText): { sources: SyncSource[]; issues: ConfigIssue[] } {
  const sources: SyncSource[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  let section: string | undefined;
  const lines = stripBom(input.text).split(/\r?\n|\r/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const c = classify(raw, input.file, line);
    if (c.kind === 'section') section = c.name;
    else if (c.kind === 'bad') issues.push({ file: input.file, line, message: c.problem });
    else if (c.kind === 'image') {
      const key = `${c.source.repository}:${c.source.filter.tags?.join(',')}:${JSON.stringify(c.source.aliases ?? {})}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (section !== undefined) c.source.section = section;
      sources.push(c.source);
    }
  });
  if (sources.length === 0 && issues.length === 0) {
    issues.push({ file: input.file, line: 1, message: 'the list names no images (expected one image reference per line)' });
  }
  return { sources, issues };
}
