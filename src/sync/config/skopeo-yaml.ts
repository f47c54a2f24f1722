/**
 * skopeo sync's YAML source file (`skopeo sync --src yaml`; skopeo-sync(1),
 * "YAML FILE CONTENT"):
 *
 * ```yaml
 * registry.example.com:
 *   images:
 *     busybox: []                 # empty list or no value: every tag
 *     redis: ["1.0", "sha256:..."] # tags or digests
 *   images-by-tag-regex:
 *     nginx: ^1\.13\.[12]-alpine-perl$
 *   images-by-semver:
 *     alpine: ">= 3.12.0"          # or a list of ranges, any of which may match
 *   credentials: {username: john, password: secret}
 *   tls-verify: true
 *   cert-dir: /home/john/certs
 * ```
 *
 * Top-level keys are registries; repository names are relative to them and
 * normalised as docker does (`docker.io` + `busybox` =
 * `docker.io/library/busybox`). The settings are for the source registries:
 * skopeo takes the destination and its credentials from the command line.
 */
import type { Pair } from 'yaml';
import type { RegistryAccess, SyncSource, SyncSpec } from '../spec.ts';
import { checkKeys, isEmptyValue, isMap, isScalar, isSeq, kindOf, pairKey, rootMapping, scalarText, YamlFile, type ConfigText, type YamlMap } from './config-file.ts';
import { eachFile } from './merge.ts';
import type { SyncReader } from './readers.ts';
import { checkRegex, checkRegistryKey, checkRepository, checkSemverRange, checkTagOrDigest } from './values.ts';

/** The keys a registry entry of a skopeo sync file may have. */
export const SKOPEO_REGISTRY_KEYS = ['images', 'images-by-tag-regex', 'images-by-semver', 'credentials', 'tls-verify', 'cert-dir'] as const;
/** The keys that make a registry entry a skopeo one (used by format detection). */
export const SKOPEO_IMAGE_KEYS = ['images', 'images-by-tag-regex', 'images-by-semver'] as const;

/** The `skopeo` format of SYNC_READERS: a mapping of registries, one at least with images. */
export const skopeoReader: SyncReader = {
  detect(d) {
    const m = rootMapping(d);
    if ('why' in m) return { fits: false, why: m.why };
    const { yaml, root } = m;
    const hasImages = root.items.some((p) => {
      const v = yaml.resolve(p.value);
      return isMap(v) && v.items.some((q) => (SKOPEO_IMAGE_KEYS as readonly string[]).includes(pairKey(yaml, q) ?? ''));
    });
    const onlyRegistries = root.items.every((p) => isMap(yaml.resolve(p.value)) || isEmptyValue(p.value));
    return hasImages && onlyRegistries ? { fits: true } : { fits: false, why: `no registry with ${SKOPEO_IMAGE_KEYS.join(', ')}` };
  },
  read: eachFile((input) => readSkopeoYaml(input)),
};

/**
 * Reads a skopeo sync YAML file into a {@link SyncSpec} (format `skopeo`).
 * One {@link SyncSource} per repository entry, in file order; a repository
 * listed in several sections gives several sources (skopeo takes the union).
 * Throws a {@link SyncConfigError} listing every problem with its line.
 */
export function readSkopeoYaml(input: ConfigText): SyncSpec {
  const yaml = YamlFile.parse(input);
  const spec: SyncSpec = { files: [input.file], format: 'skopeo', sources: [], mappings: [], registries: {} };
  const root = yaml.root;
  if (!isMap(root)) {
    yaml.report(root, `expected a mapping of registry hosts, found ${kindOf(root)} (expected skopeo sync YAML: "registry.example.com: {images: ...}")`);
    yaml.problems.throwIfAny();
    return spec;
  }
  for (const pair of root.items) readRegistry(yaml, pair, spec);
  if (spec.sources.length === 0 && yaml.problems.count === 0) {
    yaml.report(root, 'no images to sync (expected images, images-by-tag-regex or images-by-semver under a registry)');
  }
  yaml.problems.throwIfAny();
  return spec;
}

function readRegistry(yaml: YamlFile, pair: Pair, spec: SyncSpec): void {
  const name = pairKey(yaml, pair);
  const key = name === undefined ? undefined : checkRegistryKey(name);
  if (!key || !key.ok) {
    yaml.report(pair, key ? key.problem : 'a registry key must be a host name (expected registry.example.com:)');
    return;
  }
  const body = yaml.resolve(pair.value);
  if (!isMap(body)) {
    yaml.report(pair, `registry "${name}" must be a mapping, found ${kindOf(body)} (expected images, images-by-tag-regex, images-by-semver, credentials, tls-verify, cert-dir)`);
    return;
  }
  checkKeys(yaml, body, SKOPEO_REGISTRY_KEYS, `registry "${name}"`);
  const access: RegistryAccess = {};
  for (const item of body.items) {
    const field = pairKey(yaml, item);
    const value = yaml.resolve(item.value);
    switch (field) {
      case 'images':
        forEachRepository(yaml, item, value, name ?? '', key.value, (repository, entry, node) => {
          const tags = readTags(yaml, entry, node);
          if (tags) spec.sources.push(source(yaml, repository, tags.length > 0 ? { tags } : {}, entry));
        });
        break;
      case 'images-by-tag-regex':
        forEachRepository(yaml, item, value, name ?? '', key.value, (repository, entry, node) => {
          const text = scalarText(node);
          if (text === undefined || !isScalar(node)) {
            yaml.report(entry, `the tag regex of ${repository} must be a string, found ${kindOf(node)} (expected a regular expression such as ^v1\\.6\\.)`);
            return;
          }
          const re = checkRegex(text, 'go');
          if (!re.ok) yaml.report(node, re.problem);
          else spec.sources.push(source(yaml, repository, { regex: re.value }, entry));
        });
        break;
      case 'images-by-semver':
        forEachRepository(yaml, item, value, name ?? '', key.value, (repository, entry, node) => {
          // skopeo's documentation shows both one range and a list of ranges.
          const ranges = isSeq(node) ? node.items.map((n) => scalarText(yaml.resolve(n))) : [scalarText(node)];
          if (ranges.length === 0 || ranges.some((r) => r === undefined)) {
            yaml.report(entry, `the semver range of ${repository} must be a string or a list of strings, found ${kindOf(node)} (expected a range such as ">= 1.6.0")`);
            return;
          }
          const range = checkSemverRange(ranges as string[], 'masterminds');
          if (!range.ok) yaml.report(node, range.problem);
          else spec.sources.push(source(yaml, repository, { semver: range.value }, entry));
        });
        break;
      case 'credentials':
        access.credentials = readCredentials(yaml, item, value, name ?? '');
        break;
      case 'tls-verify':
        if (isScalar(value) && typeof value.value === 'boolean') access.tlsVerify = value.value;
        else yaml.report(item, `tls-verify must be true or false, found ${kindOf(value)} (expected a boolean)`);
        break;
      case 'cert-dir': {
        const dir = scalarText(value);
        if (dir === undefined || !isScalar(value) || typeof value.value !== 'string') yaml.report(item, `cert-dir must be a path, found ${kindOf(value)} (expected a directory path)`);
        else access.certDir = dir;
        break;
      }
      default:
        break; // reported by checkKeys
    }
  }
  if (Object.keys(access).length > 0) spec.registries[key.value] = { ...spec.registries[key.value], ...access };
}

function source(yaml: YamlFile, repository: string, filter: SyncSource['filter'], entry: Pair): SyncSource {
  return { repository, filter, origin: { file: yaml.file, line: yaml.lineOf(entry) } };
}

/** Calls `each` for every `repo: value` entry of an images section, with the repository fully qualified. */
function forEachRepository(
  yaml: YamlFile,
  section: Pair,
  value: unknown,
  registryName: string,
  registry: string,
  each: (repository: string, entry: Pair, node: unknown) => void,
): void {
  const field = pairKey(yaml, section);
  if (isEmptyValue(value)) return;
  if (!isMap(value)) {
    yaml.report(section, `${field} must be a mapping of repository names, found ${kindOf(value)} (expected "repository: ..." entries under ${field})`);
    return;
  }
  for (const entry of (value as YamlMap).items) {
    const name = pairKey(yaml, entry);
    if (name === undefined) {
      yaml.report(entry, `a repository name is missing in ${field} of "${registryName}" (expected "name/space/repo: ...")`);
      continue;
    }
    if (/[@]|:[^/]*$/.test(name)) {
      yaml.report(entry, `"${name}" names a tag or digest; list tags under the repository instead (expected "${name.replace(/[:@].*$/, '')}: [tag, ...]")`);
      continue;
    }
    const repo = checkRepository(`${registry}/${name}`);
    if (!repo.ok) {
      yaml.report(entry, repo.problem);
      continue;
    }
    each(repo.value, entry, yaml.resolve(entry.value));
  }
}

/** The tags / digests of an `images` entry; [] for every tag; undefined after reporting a problem. */
function readTags(yaml: YamlFile, entry: Pair, node: unknown): string[] | undefined {
  if (isEmptyValue(node)) return [];
  if (!isSeq(node)) {
    yaml.report(entry, `expected a list of tags or digests, found ${kindOf(node)} (an empty list [] means every tag)`);
    return undefined;
  }
  const tags: string[] = [];
  let good = true;
  for (const item of node.items) {
    const n = yaml.resolve(item);
    const text = scalarText(n);
    if (text === undefined || !isScalar(n)) {
      yaml.report(n ?? entry, `expected a tag or digest, found ${kindOf(n)}`);
      good = false;
      continue;
    }
    const tag = checkTagOrDigest(text);
    if (tag.ok) tags.push(tag.value);
    else {
      yaml.report(n, tag.problem);
      good = false;
    }
  }
  return good ? [...new Set(tags)] : undefined;
}

function readCredentials(yaml: YamlFile, item: Pair, value: unknown, registryName: string): RegistryAccess['credentials'] {
  if (!isMap(value)) {
    yaml.report(item, `credentials of "${registryName}" must be a mapping, found ${kindOf(value)} (expected username and password)`);
    return undefined;
  }
  // Key names are left out of messages here: a mangled line may be a password.
  checkKeys(yaml, value, ['username', 'password'], `credentials of "${registryName}"`, { nameKeys: false });
  let username: string | undefined;
  let password: string | undefined;
  const present = new Set<string>();
  for (const p of value.items) {
    const k = pairKey(yaml, p);
    const v = yaml.resolve(p.value);
    if (k !== 'username' && k !== 'password') continue;
    present.add(k);
    const text = isScalar(v) ? scalarText(v) : undefined;
    if (text === undefined) yaml.report(p, `credentials.${k} of "${registryName}" must be a string (expected a ${k === 'username' ? 'user name' : 'password'})`);
    else if (k === 'username') username = text;
    else password = text;
  }
  if (present.size < 2) yaml.report(item, `credentials of "${registryName}" need both username and password (expected username: and password:)`);
  if (username === undefined || password === undefined) return undefined;
  return { username, password };
}
