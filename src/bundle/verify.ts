/**
 * Checking a bundle without a registry (`tug bundle verify`, and the first
 * step of apply): bundle.json read strictly, SHA256SUMS agreeing with it,
 * every part present with its size and sha256, the tar walked header by
 * header in one pass over the parts (names from a fixed set, nothing
 * extracted), every blob hashed against its name, the bundle.json inside
 * the tar equal to the one outside, and every image's closure either
 * carried or relied on. The walk also yields where each blob lies in the
 * parts, which is all apply needs to read them as byte ranges.
 */
import { type Hash, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';
import { type BundleManifest, MAX_BUNDLE_JSON_BYTES, bundleJson, innerManifest, parseBundleManifest } from './format.ts';
import { BLOCK, isZeroBlock, padding, parseTarHeader } from './tar-format.ts';

export interface BundleProblem {
  /** What is wrong: a part, a blob, bundle.json, SHA256SUMS. */
  subject: string;
  message: string;
  fix: string;
}

/** Where a carried blob or manifest lies in the tar (offsets over the concatenated parts). */
export interface BlobLocation {
  offset: number;
  size: number;
}

export interface BundleCheck {
  dir: string;
  bundle: BundleManifest;
  /** Carried blobs and manifests by digest. */
  locations: Map<Digest, BlobLocation>;
  problems: BundleProblem[];
  /** Bytes read and hashed. */
  bytes: number;
}

export interface CheckOptions {
  /** Hash every blob against its name (verify: yes; apply: the parts' checksums and the engine's own check suffice). Default true. */
  hashBlobs?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

const RECOPY = (name: string) => `re-copy ${name} from the source medium`;

/** Reads and checks bundle.json; throws UNSAFE_INPUT / IO for one that cannot be used at all. */
export async function readBundleManifest(dir: string): Promise<BundleManifest> {
  const path = join(dir, 'bundle.json');
  let bytes: Buffer;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new TugError('USAGE', `${path} is not a file`, { hint: 'give the bundle directory (it holds bundle.json, SHA256SUMS and the parts)' });
    if (st.size > MAX_BUNDLE_JSON_BYTES) throw new TugError('UNSAFE_INPUT', `${path} is ${st.size} bytes; the limit is ${MAX_BUNDLE_JSON_BYTES}`, { hint: 'the bundle is damaged or hostile; re-create it' });
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof TugError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('USAGE', `${dir} holds no bundle.json`, { hint: 'give the bundle directory (it holds bundle.json, SHA256SUMS and the parts)' });
    throw new TugError('IO', `reading ${path}: ${(err as Error).message}`);
  }
  return parseBundleManifest(bytes.toString('utf8'), path);
}

/** `sha256sum -c` lines: name -> hex. */
function parseSums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-f0-9]{64}) [ *](.+)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** A tar walker fed the parts' bytes in order. */
class TarWalk {
  readonly locations = new Map<Digest, BlobLocation>();
  readonly problems: BundleProblem[] = [];
  innerJson: Buffer | undefined;
  #offset = 0;
  #header = Buffer.alloc(BLOCK);
  #headerFill = 0;
  #state: 'header' | 'body' | 'pad' | 'end' | 'broken' = 'header';
  #left = 0;
  #entry: { name: string; size: number; start: number; part: string } | undefined;
  #hash: Hash | undefined;
  #keep: Buffer[] | undefined;
  #partOf: (offset: number) => string;
  readonly #hashBlobs: boolean;

  constructor(partOf: (offset: number) => string, hashBlobs: boolean) {
    this.#partOf = partOf;
    this.#hashBlobs = hashBlobs;
  }

  get complete(): boolean {
    return this.#state === 'end';
  }

  get broken(): boolean {
    return this.#state === 'broken';
  }

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.#state !== 'broken') {
      if (this.#state === 'end') {
        // After the end blocks only zeros (block padding) may follow.
        for (let i = at; i < chunk.length; i++) {
          if (chunk[i] !== 0) {
            this.#fail(this.#offset + i - at, 'data after the end of the tar');
            return;
          }
        }
        this.#offset += chunk.length - at;
        return;
      }
      if (this.#state === 'header') {
        const n = Math.min(BLOCK - this.#headerFill, chunk.length - at);
        chunk.copy(this.#header, this.#headerFill, at, at + n);
        this.#headerFill += n;
        at += n;
        this.#offset += n;
        if (this.#headerFill < BLOCK) continue;
        this.#headerFill = 0;
        this.#onHeader();
        continue;
      }
      const n = Math.min(this.#left, chunk.length - at);
      if (this.#state === 'body') {
        const piece = chunk.subarray(at, at + n);
        this.#hash?.update(piece);
        this.#keep?.push(Buffer.from(piece));
      }
      this.#left -= n;
      at += n;
      this.#offset += n;
      if (this.#left === 0) {
        if (this.#state === 'body') this.#onBodyEnd();
        else this.#state = 'header';
      }
    }
  }

  #fail(offset: number, problem: string): void {
    const part = this.#partOf(offset);
    this.problems.push({ subject: part, message: `${problem} (at byte ${offset} of the tar)`, fix: RECOPY(part) });
    this.#state = 'broken';
  }

  #onHeader(): void {
    const start = this.#offset - BLOCK;
    if (isZeroBlock(this.#header)) {
      this.#state = 'end';
      return;
    }
    let entry;
    try {
      entry = parseTarHeader(this.#header, () => `${this.#partOf(start)} at tar byte ${start}`);
    } catch (err) {
      this.#fail(start, (err as Error).message);
      return;
    }
    if (entry.type === 'directory') return;
    this.#entry = { name: entry.name, size: entry.size, start: this.#offset, part: this.#partOf(this.#offset) };
    this.#hash = undefined;
    this.#keep = undefined;
    if (entry.name.startsWith('blobs/sha256/')) {
      const digest = `sha256:${entry.name.slice('blobs/sha256/'.length)}` as Digest;
      this.locations.set(digest, { offset: this.#offset, size: entry.size });
      if (this.#hashBlobs) this.#hash = createHash('sha256');
    } else if (entry.name === 'bundle.json' || entry.name === 'index.json') {
      if (entry.size > MAX_BUNDLE_JSON_BYTES) {
        this.#fail(start, `${entry.name} is ${entry.size} bytes`);
        return;
      }
      if (entry.name === 'bundle.json') this.#keep = [];
    }
    this.#left = entry.size;
    this.#state = 'body';
    if (this.#left === 0) this.#onBodyEnd();
  }

  #onBodyEnd(): void {
    const entry = this.#entry!;
    if (this.#hash) {
      const hex = this.#hash.digest('hex');
      if (`blobs/sha256/${hex}` !== entry.name) {
        const parts = new Set([entry.part, this.#partOf(entry.start + Math.max(0, entry.size - 1))]);
        const names = [...parts].join(' and ');
        this.problems.push({ subject: `blob sha256:${entry.name.slice(13)}`, message: `its bytes (in ${names}) hash to sha256:${hex}`, fix: RECOPY(names) });
      }
    }
    if (this.#keep) this.innerJson = Buffer.concat(this.#keep);
    this.#hash = undefined;
    this.#keep = undefined;
    this.#left = padding(entry.size);
    this.#state = this.#left > 0 ? 'pad' : 'header';
  }
}

/**
 * Checks the bundle in `dir`. Throws only when bundle.json itself cannot be
 * used (missing, not JSON, hostile: UNSAFE_INPUT / USAGE); everything else
 * is a {@link BundleProblem} in the result, so one run lists them all.
 */
export async function checkBundle(dir: string, options: CheckOptions = {}): Promise<BundleCheck> {
  const bundle = await readBundleManifest(dir);
  const problems: BundleProblem[] = [];
  const parts = bundle.parts ?? [];
  if (parts.length === 0) throw new TugError('UNSAFE_INPUT', `${join(dir, 'bundle.json')} lists no parts`, { hint: 'this is the copy from inside the tar, not the bundle\'s own bundle.json; re-copy the bundle directory' });

  // SHA256SUMS and bundle.json must agree.
  let sums: Map<string, string> | undefined;
  try {
    sums = parseSums(await readFile(join(dir, 'SHA256SUMS'), 'utf8'));
  } catch {
    problems.push({ subject: 'SHA256SUMS', message: 'missing or unreadable', fix: RECOPY('SHA256SUMS') });
  }
  if (sums) {
    const hex = createHash('sha256').update(await readFile(join(dir, 'bundle.json'))).digest('hex');
    if (sums.get('bundle.json') !== hex) problems.push({ subject: 'bundle.json', message: 'does not match its line in SHA256SUMS', fix: RECOPY('bundle.json and SHA256SUMS') });
    for (const p of [...parts, ...(bundle.files ?? [])]) {
      if (sums.get(p.name) !== p.sha256) problems.push({ subject: p.name, message: 'SHA256SUMS and bundle.json give different checksums', fix: RECOPY('bundle.json and SHA256SUMS') });
    }
  }

  // Every part present with its size; then one pass: part checksums and the tar walk.
  let missing = false;
  const absent = new Set<string>();
  for (const p of [...parts, ...(bundle.files ?? [])]) {
    const st = await stat(join(dir, p.name)).catch(() => undefined);
    if (!st?.isFile() || st.size !== p.size) absent.add(p.name);
    if (!st?.isFile()) {
      problems.push({ subject: p.name, message: 'missing', fix: RECOPY(p.name) });
      missing = missing || parts.includes(p);
    } else if (st.size !== p.size) {
      problems.push({ subject: p.name, message: `is ${st.size} bytes, bundle.json says ${p.size}`, fix: RECOPY(p.name) });
      missing = missing || parts.includes(p);
    }
  }
  const starts: number[] = [];
  let total = 0;
  for (const p of parts) {
    starts.push(total);
    total += p.size;
  }
  const partOf = (offset: number): string => {
    let i = 0;
    while (i + 1 < parts.length && starts[i + 1]! <= offset) i++;
    return `part ${parts[i]!.name}`;
  };
  const walk = new TarWalk(partOf, options.hashBlobs !== false);
  let bytes = 0;
  if (!missing) {
    for (const p of [...parts, ...(bundle.files ?? [])].filter((f) => !absent.has(f.name))) {
      const isPart = parts.includes(p);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(join(dir, p.name), { highWaterMark: 64 * 1024, ...(options.signal ? { signal: options.signal } : {}) }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        if (isPart) walk.feed(chunk);
        bytes += chunk.length;
      }
      if (hash.digest('hex') !== p.sha256) problems.push({ subject: isPart ? `part ${p.name}` : p.name, message: 'sha256 does not match bundle.json', fix: RECOPY(p.name) });
    }
    problems.push(...walk.problems);
    if (!walk.broken && !walk.complete) problems.push({ subject: `part ${parts.at(-1)!.name}`, message: 'the tar ends early', fix: RECOPY(`part ${parts.at(-1)!.name}`) });
  }

  if (!missing && !walk.broken) {
    const inner = walk.innerJson;
    if (!inner) problems.push({ subject: 'bundle.json', message: 'the tar holds no bundle.json', fix: 're-create the bundle' });
    else if (inner.toString('utf8') !== bundleJson(innerManifest(bundle))) problems.push({ subject: 'bundle.json', message: 'differs from the copy inside the tar', fix: RECOPY('bundle.json') });
    for (const c of [...bundle.carried.blobs, ...bundle.carried.manifests]) {
      const at = walk.locations.get(c.digest);
      if (!at) problems.push({ subject: `blob ${c.digest}`, message: 'carried by bundle.json but not in the tar', fix: 're-create the bundle' });
      else if (at.size !== c.size) problems.push({ subject: `blob ${c.digest}`, message: `is ${at.size} bytes in the tar, bundle.json says ${c.size}`, fix: 're-create the bundle' });
    }
  }
  const relied = new Set(bundle.relies.map((r) => r.digest));
  const carried = new Set([...bundle.carried.blobs, ...bundle.carried.manifests].map((c) => c.digest));
  for (const image of bundle.images) {
    for (const d of [...image.manifests, ...image.blobs]) {
      if (!carried.has(d) && !relied.has(d)) problems.push({ subject: `${image.repository}:${image.tag}`, message: `needs ${d}, which is neither carried nor relied on`, fix: 're-create the bundle' });
    }
  }
  return { dir, bundle, locations: walk.locations, problems, bytes };
}

/** The error a bundle with problems ends with: INTEGRITY (exit 3), as for any bytes that do not match their digest. */
export function bundleProblemsError(check: BundleCheck): TugError {
  return new TugError('INTEGRITY', `bundle ${check.bundle.id} in ${check.dir}: ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}; nothing was written`, { hint: 'fix each line above (re-copy the parts named), then run tug bundle verify again' });
}
