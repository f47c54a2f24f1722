/**
 * AliyunContainerService/image-syncer configurations (JSON or YAML):
 *
 * - the images file, `{"SRC_REPO[:TAG1,TAG2]": "DEST_REPO[:TAG]" | ["DEST1", "DEST2"] | ""}`:
 *   a source without tags means every tag; `@sha256:...` pins a digest;
 *   `/regex/` in the tag list selects tags by a Go regular expression
 *   (image-syncer >= 1.5); an empty destination means the default
 *   registry/namespace (Tugboat: the destination given on the command line);
 *   a destination tag renames the single source tag;
 * - the auth file, `{"HOST[/NAMESPACE]": {"username", "password", "insecure"}}`,
 *   where `"${VAR}"` / `"$VAR"` values are read from the environment
 *   (image-syncer >= 1.3.1);
 * - the older single file `{"auth": {...}, "images": {...}}` (`--config`).
 *
 * Both files may be given, in any order. `insecure: true` (an HTTP registry)
 * becomes `plainHttp` with TLS verification off.
 */
import type { Pair } from 'yaml';
import type { Credentials } from '../../context/system-context.ts';
import { errorText } from '../../errors/index.ts';
import { parseReference } from '../../reference/index.ts';
import type { RegistryAccess, SyncSource, SyncSpec, TagFilter } from '../spec.ts';
import { checkKeys, isEmptyValue, isMap, isScalar, isSeq, kindOf, pairKey, Problems, rootMapping, scalarText, YamlFile, type ConfigText, type YamlMap } from './config-file.ts';
import type { SyncReader } from './readers.ts';
import { checkRegex, checkRegistryKey, checkRepository, checkTag, envReference } from './values.ts';

/** What an image-syncer file holds. */
export type ImageSyncerRole = 'auth' | 'images' | 'config';

const AUTH_KEYS = ['username', 'password', 'insecure'] as const;

export interface ImageSyncerOptions {
  /** Where `${VAR}` values of the auth file are looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
}

/**
 * Tells which image-syncer file a parsed document is, or undefined when it
 * is none. `config`: a top-level `auth` or `images` mapping. `auth`: every value is
 * a mapping of username / password / insecure. `images`: every value is a
 * string, a list of strings or empty, and every key parses as `repo[:tags]`.
 */
export function imageSyncerRole(yaml: YamlFile): ImageSyncerRole | undefined {
  const root = yaml.root;
  if (!isMap(root) || root.items.length === 0) return undefined;
  const keys = root.items.map((p) => pairKey(yaml, p));
  // A top-level `auth` or `images` holding a mapping: the combined file (other keys are then reported as unknown).
  if (root.items.some((p) => ['auth', 'images'].includes(pairKey(yaml, p) ?? '') && isMap(yaml.resolve(p.value)))) return 'config';
  const values = root.items.map((p) => yaml.resolve(p.value));
  if (values.every((v) => isMap(v) && v.items.every((p) => (AUTH_KEYS as readonly string[]).includes(pairKey(yaml, p) ?? '')))) {
    return keys.every((k) => k !== undefined && checkRegistryKey(k).ok) ? 'auth' : undefined;
  }
  const destinationLike = (v: unknown): boolean =>
    isEmptyValue(v) || (isScalar(v) && typeof v.value === 'string') || (isSeq(v) && v.items.every((i) => isScalar(yaml.resolve(i)) && typeof (yaml.resolve(i) as { value: unknown }).value === 'string'));
  if (values.every(destinationLike) && keys.every((k) => k !== undefined && !('problem' in parseSourceKey(k)))) return 'images';
  return undefined;
}

/** The `image-syncer` format of SYNC_READERS: its files are read together (auth + images). */
export const imageSyncerReader: SyncReader = {
  detect(d) {
    const m = rootMapping(d);
    const role = 'why' in m ? undefined : imageSyncerRole(m.yaml);
    if (role) return { fits: true, role };
    return { fits: false, why: 'why' in m ? m.why : 'not a mapping of "REPO[:TAGS]" to destinations, nor of hosts to {username, password}' };
  },
  read: (inputs, options) => readImageSyncer(inputs, { env: options.env }),
};

/**
 * Reads image-syncer files (an images file, an auth file, or the older
 * combined config; any combination) into one {@link SyncSpec} (format
 * `image-syncer`). One {@link SyncSource} per source key and destination
 * repository; tag renames become `aliases`. Throws a {@link SyncConfigError}
 * with every problem's line.
 */
export function readImageSyncer(inputs: readonly ConfigText[], options: ImageSyncerOptions = {}): SyncSpec {
  const env = options.env ?? process.env;
  const spec: SyncSpec = { files: inputs.map((i) => i.file), format: 'image-syncer', sources: [], mappings: [], registries: {} };
  let sawImages = false;
  for (const input of inputs) {
    const yaml = YamlFile.parse(input);
    const root = yaml.root;
    if (!isMap(root)) {
      yaml.report(root, `expected a mapping, found ${kindOf(root)} (expected an image-syncer images file {"SRC": "DEST"} or auth file {"HOST": {"username", "password"}})`);
      yaml.problems.throwIfAny();
      continue;
    }
    // A file forced to this format that matches no role: a map of maps is an auth file, anything else an images file.
    const role = imageSyncerRole(yaml) ?? (root.items.every((p) => isMap(yaml.resolve(p.value))) ? 'auth' : 'images');
    if (role === 'config') {
      checkKeys(yaml, root, ['auth', 'images'], 'an image-syncer config');
      for (const p of root.items) {
        const v = yaml.resolve(p.value);
        if (pairKey(yaml, p) === 'auth' && isMap(v)) readAuth(yaml, v, spec, env);
        if (pairKey(yaml, p) === 'images' && isMap(v)) {
          sawImages = true;
          readImages(yaml, v, spec);
        }
      }
    } else if (role === 'auth') {
      readAuth(yaml, root, spec, env);
    } else {
      sawImages = true;
      readImages(yaml, root, spec);
    }
    yaml.problems.throwIfAny();
  }
  if (!sawImages) {
    throw Problems.fail(inputs[0]?.file ?? '-', 1, 'an image-syncer auth file names no images (expected an images file too, e.g. tug sync auth.json images.json)');
  }
  if (spec.sources.length === 0) {
    throw Problems.fail(inputs.at(-1)?.file ?? '-', 1, 'the image-syncer images file is empty (expected "SRC_REPO[:TAGS]": "DEST_REPO" entries)');
  }
  return spec;
}

function readAuth(yaml: YamlFile, map: YamlMap, spec: SyncSpec, env: NodeJS.ProcessEnv): void {
  for (const pair of map.items) {
    const name = pairKey(yaml, pair) ?? '';
    const key = checkRegistryKey(name);
    if (!key.ok) {
      yaml.report(pair, key.problem);
      continue;
    }
    const body = yaml.resolve(pair.value);
    if (!isMap(body)) {
      yaml.report(pair, `auth entry "${name}" must be a mapping, found ${kindOf(body)} (expected username, password, insecure)`);
      continue;
    }
    checkKeys(yaml, body, AUTH_KEYS, `auth entry "${name}"`, { nameKeys: false });
    const access: RegistryAccess = {};
    const creds: Partial<Credentials> = {};
    for (const p of body.items) {
      const field = pairKey(yaml, p);
      const v = yaml.resolve(p.value);
      if (field === 'insecure') {
        if (isScalar(v) && typeof v.value === 'boolean') {
          if (v.value) {
            access.plainHttp = true;
            access.tlsVerify = false;
          }
        } else yaml.report(p, `insecure of "${name}" must be true or false, found ${kindOf(v)} (expected a boolean)`);
      } else if (field === 'username' || field === 'password') {
        const text = scalarText(v);
        if (text === undefined || !isScalar(v)) {
          yaml.report(p, `${field} of "${name}" must be a string (expected a ${field === 'username' ? 'user name' : 'password'} or "\${ENV_VAR}")`);
          continue;
        }
        const variable = envReference(text);
        if (variable !== undefined) {
          const fromEnv = env[variable];
          if (fromEnv === undefined || fromEnv === '') {
            yaml.report(p, `environment variable ${variable} (the ${field} of "${name}") is not set (expected ${variable} exported before running)`);
            continue;
          }
          creds[field] = fromEnv;
        } else creds[field] = text;
      }
    }
    // image-syncer reads a registry without username and password anonymously; one without the other is a mistake.
    const present = body.items.map((p) => pairKey(yaml, p)).filter((k) => k === 'username' || k === 'password');
    if (new Set(present).size === 1) yaml.report(pair, `auth entry "${name}" needs both username and password (expected both, or neither for anonymous access)`);
    else if (creds.username !== undefined && creds.password !== undefined) access.credentials = { username: creds.username, password: creds.password };
    if (Object.keys(access).length > 0) spec.registries[key.value] = { ...spec.registries[key.value], ...access };
  }
}

/** A parsed source key: the repository and which of its tags. */
interface SourceKey {
  repository: string;
  /** Explicit tags or one digest; empty with no regexes = every tag. */
  tags: string[];
  regexes: string[];
}

/**
 * Splits `REPO[:TAG1,TAG2,/regex/]` or `REPO@DIGEST`. The tag list starts at
 * the first ':' after the host's port, since a repository name has no ':';
 * a `/regex/` item may itself contain ',' and '/'.
 */
export function parseSourceKey(key: string): SourceKey | { problem: string } {
  const expected = '(expected REPO, REPO:TAG1,TAG2 or REPO@sha256:...)';
  if (key.includes('@')) {
    try {
      const ref = parseReference(key);
      return { repository: ref.name, tags: [ref.digest ?? ref.tag ?? 'latest'], regexes: [] };
    } catch (err) {
      return { problem: `${errorText(err)} ${expected}` };
    }
  }
  const port = /^(?:\[[^\]]*\]|[^/:]+):\d+\//.exec(key);
  const colon = key.indexOf(':', port ? port[0].length : 0);
  const name = colon === -1 ? key : key.slice(0, colon);
  const repo = checkRepository(name);
  if (!repo.ok) return { problem: `${repo.problem} ${expected}` };
  if (colon === -1) return { repository: repo.value, tags: [], regexes: [] };
  const items = splitTagList(key.slice(colon + 1));
  if (items === undefined) return { problem: `"${key}" has an empty tag in its tag list ${expected}` };
  const tags: string[] = [];
  const regexes: string[] = [];
  for (const item of items) {
    if (item.length > 2 && item.startsWith('/') && item.endsWith('/')) {
      const re = checkRegex(item.slice(1, -1), 'go');
      if (!re.ok) return { problem: re.problem };
      regexes.push(re.value);
    } else {
      const tag = checkTag(item);
      if (!tag.ok) return { problem: `${tag.problem} in "${key}"` };
      tags.push(tag.value);
    }
  }
  return { repository: repo.value, tags: [...new Set(tags)], regexes };
}

function splitTagList(list: string): string[] | undefined {
  const items: string[] = [];
  let i = 0;
  while (i <= list.length) {
    let end: number;
    if (list[i] === '/') {
      // A regex runs to the first '/' that ends the item.
      end = i + 1;
      while (end < list.length && !(list[end] === '/' && (end + 1 === list.length || list[end + 1] === ','))) end++;
      end = Math.min(end + 1, list.length);
    } else {
      end = list.indexOf(',', i);
      if (end === -1) end = list.length;
    }
    const item = list.slice(i, end).trim();
    if (item === '') return undefined;
    items.push(item);
    i = end + 1;
  }
  return items;
}

interface Destination {
  repository: string | undefined;
  tag: string | undefined;
}

function readImages(yaml: YamlFile, map: YamlMap, spec: SyncSpec): void {
  for (const pair of map.items) {
    const key = pairKey(yaml, pair);
    if (key === undefined || key === '') {
      yaml.report(pair, 'a source image is empty (expected "SRC_REPO[:TAGS]": "DEST_REPO")');
      continue;
    }
    const src = parseSourceKey(key);
    if ('problem' in src) {
      yaml.report(pair, src.problem);
      continue;
    }
    const dests = readDestinations(yaml, pair);
    if (!dests) continue;
    for (const source of buildSources(yaml, pair, src, dests)) spec.sources.push(source);
  }
}

function readDestinations(yaml: YamlFile, pair: Pair): Destination[] | undefined {
  const value = yaml.resolve(pair.value);
  const nodes = isSeq(value) ? value.items.map((i) => yaml.resolve(i)) : [value];
  if (isSeq(value) && nodes.length === 0) return [{ repository: undefined, tag: undefined }];
  const out: Destination[] = [];
  let good = true;
  for (const node of nodes) {
    if (isEmptyValue(node)) {
      out.push({ repository: undefined, tag: undefined });
      continue;
    }
    const text = scalarText(node);
    if (text === undefined || !isScalar(node) || typeof node.value !== 'string') {
      yaml.report(node ?? pair, `a destination must be a string, found ${kindOf(node)} (expected "DEST_REPO[:TAG]" or a list of them)`);
      good = false;
      continue;
    }
    try {
      const ref = parseReference(text, { defaultTag: false });
      if (ref.digest !== undefined) {
        yaml.report(node, `destination "${text}" names a digest (expected DEST_REPO or DEST_REPO:TAG)`);
        good = false;
        continue;
      }
      out.push({ repository: ref.name, tag: ref.tag });
    } catch (err) {
      yaml.report(node, `${errorText(err)} (expected "DEST_REPO[:TAG]")`);
      good = false;
    }
  }
  return good ? out : undefined;
}

/**
 * The sources of one rule: the explicit tags, then each `/regex/` (image-syncer
 * takes their union, while one TagFilter would intersect them), each once per
 * destination repository, with renamed tags as aliases.
 */
function buildSources(yaml: YamlFile, pair: Pair, src: SourceKey, dests: Destination[]): SyncSource[] {
  const origin = { file: yaml.file, line: yaml.lineOf(pair) };
  // Per destination repository: the renames it gets, and whether it also gets
  // the source's own tags (a destination without a tag, or with the same tag).
  // `"a:v1": "b:v2"` writes only b:v2, as image-syncer does.
  const byRepository = new Map<string | undefined, { aliases: Record<string, string>; ownTags: boolean }>();
  for (const d of dests) {
    const entry = byRepository.get(d.repository) ?? { aliases: {}, ownTags: false };
    byRepository.set(d.repository, entry);
    if (d.tag === undefined) {
      entry.ownTags = true;
      continue;
    }
    const only = src.tags.length === 1 && src.regexes.length === 0 ? src.tags[0] : undefined;
    if (only === undefined) {
      yaml.report(pair, `destination "${d.repository}:${d.tag}" has a tag, so the source must name exactly one tag or digest (expected "REPO:TAG": "DEST:NEWTAG", or a destination without a tag)`);
      return [];
    }
    if (d.tag === only) entry.ownTags = true;
    else entry.aliases[d.tag] = only;
  }
  const filters: TagFilter[] = [];
  if (src.tags.length > 0) filters.push({ tags: src.tags });
  for (const regex of src.regexes) filters.push({ regex });
  if (filters.length === 0) filters.push({});
  const out: SyncSource[] = [];
  for (const [destination, { aliases, ownTags }] of byRepository) {
    for (const filter of filters) {
      // Renames only: no tag of its own, just the aliases (explicit tags are never listed).
      const source: SyncSource = { repository: src.repository, filter: ownTags ? { ...filter } : { tags: [] }, origin };
      if (destination !== undefined) source.destination = destination;
      if (Object.keys(aliases).length > 0 && filter.tags) source.aliases = aliases;
      out.push(source);
    }
  }
  return out;
}
