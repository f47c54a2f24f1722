/**
 * What every sync-file reader shares: the file's text, a YAML document whose
 * nodes know their line, and a collector of problems that ends in one
 * {@link SyncConfigError} listing every `FILE:LINE: what is wrong (what was
 * expected)` at once, so a user fixes a file in one pass.
 *
 * JSON files go through the same YAML parser (JSON is YAML 1.2), so they get
 * line numbers too. Error texts never quote a scalar's value unless the
 * caller chose to (references, tags), and never a password: YAML syntax
 * errors are reported without their code frame for that reason.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { TugError } from '../../errors/index.ts';
import type { DetectInput } from './readers.ts';

/** One input file: its name as the user gave it (used in messages) and its text. */
export interface ConfigText {
  file: string;
  text: string;
}

/** One problem found in a sync file. */
export interface ConfigIssue {
  file: string;
  line: number;
  /** `what is wrong (what was expected)`, without the `FILE:LINE: ` prefix. */
  message: string;
}

/**
 * A sync file that cannot be used. Code USAGE; the message holds every issue
 * as `FILE:LINE: ...`, one per line, in file order; {@link issues} carries
 * them as data (for the server / console to mark lines).
 */
export class SyncConfigError extends TugError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { hint?: string; cause?: unknown } = {}) {
    const sorted = [...issues].sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
    super('USAGE', sorted.map((i) => `${i.file}:${i.line}: ${i.message}`).join('\n'), options);
    this.name = 'SyncConfigError';
    this.issues = sorted;
  }
}

/** Most issues shown in one error; a file with more is usually the wrong format altogether. */
const MAX_ISSUES = 20;

/** Collects problems of one file; {@link throwIfAny} turns them into one {@link SyncConfigError}. */
export class Problems {
  readonly file: string;
  readonly #issues: ConfigIssue[] = [];

  constructor(file: string) {
    this.file = file;
  }

  get count(): number {
    return this.#issues.length;
  }

  add(line: number, message: string): void {
    if (this.#issues.length < MAX_ISSUES) this.#issues.push({ file: this.file, line: Math.max(1, line), message });
  }

  throwIfAny(): void {
    if (this.#issues.length > 0) throw new SyncConfigError(this.#issues);
  }

  /** A single-issue error, for problems that stop reading at once. */
  static fail(file: string, line: number, message: string, options: { hint?: string; cause?: unknown } = {}): SyncConfigError {
    return new SyncConfigError([{ file, line: Math.max(1, line), message }], options);
  }
}

/**
 * A parsed YAML (or JSON) sync file. `parse` refuses syntax errors, duplicate
 * keys, multiple documents and files with no content, each with its line.
 */
export class YamlFile {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly problems: Problems;
  readonly #lines: LineCounter;

  private constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.#lines = lines;
    this.problems = new Problems(file);
  }

  /** Parses without throwing: `undefined` plus the issues when the text is not YAML. */
  static tryParse(input: ConfigText): { yaml: YamlFile; issues: [] } | { yaml: undefined; issues: ConfigIssue[] } {
    const lines = new LineCounter();
    const doc = parseDocument(stripBom(input.text), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const issues = doc.errors.slice(0, MAX_ISSUES).map((e) => ({
        file: input.file,
        line: lines.linePos(e.pos[0]).line,
        message: `${yamlMessage(e.message, e.code)} (expected valid YAML or JSON)`,
      }));
      return { yaml: undefined, issues };
    }
    return { yaml: new YamlFile(input.file, doc, lines), issues: [] };
  }

  static parse(input: ConfigText): YamlFile {
    const r = YamlFile.tryParse(input);
    if (!r.yaml) throw new SyncConfigError(r.issues);
    if (r.yaml.doc.contents === null || (isScalar(r.yaml.doc.contents) && r.yaml.doc.contents.value === null)) {
      throw Problems.fail(input.file, 1, 'the file is empty (expected a sync configuration)');
    }
    return r.yaml;
  }

  /** The top-level node, aliases resolved. */
  get root(): Node | undefined {
    return this.resolve(this.doc.contents);
  }

  /** Follows a YAML alias (`*name`) to its anchor's node. */
  resolve(node: unknown): Node | undefined {
    if (isAlias(node)) return node.resolve(this.doc) as Node | undefined;
    if (isScalar(node) || isMap(node) || isSeq(node)) return node;
    return undefined;
  }

  /** 1-based line where a node (or a pair's key) starts; 1 when unknown. */
  lineOf(node: unknown): number {
    const target = isPair(node) ? (node.key ?? node.value) : node;
    const range = (target as { range?: [number, number, number] | null } | null | undefined)?.range;
    return range ? this.#lines.linePos(range[0]).line : 1;
  }

  /**
   * The line of the node at a path of keys and indices (a zod issue path):
   * the deepest node that exists, so a missing key points at its parent.
   * With `keyOf`, the line of that key inside the map at `path`.
   */
  lineAt(path: readonly PropertyKey[], keyOf?: string): number {
    let node: Node | undefined = this.root;
    let line = this.lineOf(node);
    for (const step of path) {
      const next = childPair(this, node, step);
      if (!next) return line;
      line = this.lineOf(next.key);
      node = this.resolve(next.value);
    }
    if (keyOf !== undefined) {
      const pair = childPair(this, node, keyOf);
      if (pair) return this.lineOf(pair.key);
    }
    return line;
  }

  /** The node at a path of keys and indices, or undefined when some step is missing. */
  nodeAt(path: readonly PropertyKey[]): Node | undefined {
    let node: Node | undefined = this.root;
    for (const step of path) {
      const next = childPair(this, node, step);
      if (!next) return undefined;
      node = this.resolve(next.value);
    }
    return node;
  }

  /** True when the path leads to an entry (possibly with an empty value). */
  has(path: readonly PropertyKey[]): boolean {
    const parent = this.nodeAt(path.slice(0, -1));
    const last = path.at(-1);
    return last === undefined || childPair(this, parent, last) !== undefined;
  }

  /** Records a problem at a node's line. */
  report(node: unknown, message: string): void {
    this.problems.add(this.lineOf(node), message);
  }
}

/** The entry `step` of a map (its key node) or of a sequence (the item itself). */
function childPair(file: YamlFile, node: Node | undefined, step: PropertyKey): { key: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    return node.items.find((p) => scalarText(file.resolve(p.key)) === String(step));
  }
  if (isSeq(node) && typeof step === 'number') {
    const item = node.items[step];
    return item === undefined ? undefined : { key: item, value: item };
  }
  return undefined;
}

/** For detection: the file's top-level mapping, or why it has none (not YAML, or not a mapping). */
export function rootMapping(d: DetectInput): { yaml: YamlFile; root: YamlMap } | { why: string } {
  if (!d.yaml) return { why: `not YAML/JSON (line ${d.yamlIssue?.line ?? 1}: ${d.yamlIssue?.message ?? 'syntax error'})` };
  const root = d.yaml.root;
  return isMap(root) ? { yaml: d.yaml, root } : { why: 'not a YAML/JSON mapping' };
}

/** A UTF-8 BOM is invisible in editors; drop it so line 1 parses as written. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The first line of a YAML parser message without any quoted source text:
 * some messages quote the offending token, and the offending line may hold a
 * password.
 */
function yamlMessage(message: string, code: string): string {
  const first = (message.split('\n')[0] ?? code).replace(/ at line \d+, column \d+:?$/, '');
  return first.replace(/"[^"\n]*"/g, '"..."') || code;
}

export type ScalarValue = string | number | boolean | null;

/**
 * The text of a scalar as a Go program reading it into a `string` would see
 * it: a plain `1.10` stays "1.10" (YAML would make it the number 1.1), `true`
 * stays "true". Undefined for null / empty values and non-scalars.
 */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = (node as Scalar<ScalarValue>).value;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  const source = (node as Scalar & { source?: string }).source;
  return typeof source === 'string' && source !== '' ? source : String(v);
}

/** A short description of what a node is, for "expected X, found Y". */
export function kindOf(node: unknown): string {
  if (node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'an empty value';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'something else';
}

/** True for a missing value, `~`/`null`, or an empty string: what skopeo and image-syncer read as "nothing given". */
export function isEmptyValue(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === ''));
}

/** The key of a map entry as a string (keys that are numbers or booleans read as written). */
export function pairKey(file: YamlFile, pair: Pair): string | undefined {
  return scalarText(file.resolve(pair.key));
}

/** A parsed YAML mapping / sequence, as the readers walk them. */
export type YamlMap = YAMLMap<unknown, unknown>;
export type YamlSeq = YAMLSeq<unknown>;
export { isMap, isScalar, isSeq };

/**
 * Checks a map's keys against the allowed ones, reporting unknown keys with
 * the closest known key as a suggestion (`tag` -> `tags`). `nameKeys: false`
 * leaves the key out of the message (credential maps: a mistyped line there
 * might be a password).
 */
export function checkKeys(file: YamlFile, map: YamlMap, allowed: readonly string[], where: string, options: { nameKeys?: boolean } = {}): void {
  for (const pair of map.items) {
    const key = pairKey(file, pair);
    if (key !== undefined && allowed.includes(key)) continue;
    file.report(pair, unknownKeyMessage(key, allowed, where, options.nameKeys ?? true));
  }
}

export function unknownKeyMessage(key: string | undefined, allowed: readonly string[], where: string, nameKey = true): string {
  const near = key === undefined ? undefined : closest(key, allowed);
  const named = nameKey && key !== undefined ? ` "${key}"` : '';
  const suggestion = nameKey && near ? `; did you mean "${near}"?` : '';
  return `unknown key${named}${where ? ` in ${where}` : ''} (expected one of ${allowed.join(', ')}${suggestion})`;
}

/** The allowed word within edit distance 2 of `word`, or the one it abbreviates (`tls` -> `tls-verify`), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length >= 3) {
    const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(lower));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
