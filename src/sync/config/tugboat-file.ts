/**
 * Tugboat's own sync file (YAML or JSON). The reference is docs/sync-file.md;
 * examples/openyurt-1.6.sync.yaml is a commented example. In short:
 *
 * ```yaml
 * apiVersion: tugboat.dev/v1alpha1
 * kind: SyncConfig
 * registries:                        # access settings by host (source or destination)
 *   quanzhenglong.com:
 *     credentials: {username: edge_admin, passwordEnv: REGISTRY_PASSWORD}
 *     tls-verify: true               # default true
 *     cert-dir: ./certs              # relative to this file
 *     plain-http: false              # default false
 *     proxy: http://proxy:3128       # or none; default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY
 * destination: quanzhenglong.com/edge # default prefix: <destination>/<last path component>
 * platforms: all                     # or [linux/amd64, linux/arm64]; default: the command line's
 * mappings:                          # first match wins; before `destination`
 *   - {from: docker.io/openyurt/*, to: quanzhenglong.com/edge/*}
 * images:
 *   - source: docker.io/openyurt/yurthub
 *     tags: [v1.6.0]                 # or regex / semver / exclude / newest; none of them = every tag
 *     aliases: {latest: v1.6.0}      # extra destination tags
 * ```
 *
 * Rules: unknown keys are errors (a typo like `tag:` must not silently mean
 * "every tag"); passwords are never written in the file (`password:` is
 * refused) but read at load time from `passwordEnv` or `passwordFile`;
 * every problem is reported as `FILE:LINE: ...`, all at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isScalar as isYamlScalar } from 'yaml';
import { parseReference } from '../../reference/index.ts';
import type { MappingRule, RegistryAccess, SyncSource, SyncSpec } from '../spec.ts';
import { rootMapping, YamlFile, type ConfigText } from './config-file.ts';
import { eachFile } from './merge.ts';
import type { SyncReader } from './readers.ts';
import { checkTugboatData, type FileData, type ImageData, pathText, TUGBOAT_KIND } from './tugboat-schema.ts';
import { checkPrefix, checkRegistryKey, checkRepository } from './values.ts';

export { TUGBOAT_API_VERSION, TUGBOAT_KIND } from './tugboat-schema.ts';

export interface TugboatFileOptions {
  /** Where `passwordEnv` variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Reads a `passwordFile` (default `fs.readFileSync(path, 'utf8')`); paths are already resolved against the sync file's directory. */
  readFile?: ((path: string) => string) | undefined;
}

/** True when a parsed document declares `kind: SyncConfig` or a `tugboat.dev/` apiVersion (format detection). */
function isTugboatDocument(yaml: YamlFile): boolean {
  const kind = yaml.nodeAt(['kind']);
  const api = yaml.nodeAt(['apiVersion']);
  return (isYamlScalar(kind) && kind.value === TUGBOAT_KIND) || (isYamlScalar(api) && typeof api.value === 'string' && api.value.startsWith('tugboat.dev/'));
}

/** The `tugboat` format of SYNC_READERS. */
export const tugboatReader: SyncReader = {
  detect(d) {
    const m = rootMapping(d);
    if ('why' in m) return { fits: false, why: m.why };
    return isTugboatDocument(m.yaml) ? { fits: true } : { fits: false, why: 'no "kind: SyncConfig"' };
  },
  read: eachFile((input, options) => readTugboatFile(input, { env: options.env, readFile: options.readFile })),
};

/**
 * Reads a Tugboat sync file into a {@link SyncSpec} (format `tugboat`),
 * resolving `passwordEnv` / `passwordFile` now. Relative `cert-dir` and
 * `passwordFile` paths are taken relative to the sync file's directory.
 * Throws a {@link SyncConfigError} listing every problem as `FILE:LINE: ...`;
 * no message ever contains a password.
 */
export function readTugboatFile(input: ConfigText, options: TugboatFileOptions = {}): SyncSpec {
  const yaml = YamlFile.parse(input);
  const spec = buildSpec(yaml, checkTugboatData(yaml), options);
  yaml.problems.throwIfAny();
  return spec;
}

function buildSpec(yaml: YamlFile, data: FileData, options: TugboatFileOptions): SyncSpec {
  const base = dirname(yaml.file);
  const local = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const spec: SyncSpec = { files: [yaml.file], format: 'tugboat', sources: [], mappings: [], registries: {} };

  for (const [host, reg] of Object.entries(data.registries ?? {})) {
    const key = checkRegistryKey(host);
    if (!key.ok) continue; // reported by the schema
    const access: RegistryAccess = {};
    if (reg.credentials) {
      const password = readPassword(yaml, ['registries', host, 'credentials'], host, reg.credentials, options, local);
      if (password !== undefined) access.credentials = { username: reg.credentials.username, password };
    }
    if (reg['tls-verify'] !== undefined) access.tlsVerify = reg['tls-verify'];
    if (reg['cert-dir'] !== undefined) access.certDir = local(reg['cert-dir']);
    if (reg['plain-http'] !== undefined) access.plainHttp = reg['plain-http'];
    if (reg.proxy !== undefined) access.proxy = reg.proxy;
    spec.registries[key.value] = access;
  }

  if (data.destination !== undefined) {
    const d = checkPrefix(data.destination);
    if (d.ok) spec.destination = d.value;
  }
  if (data.platforms !== undefined) spec.platforms = data.platforms === 'all' ? ['all'] : [...new Set(data.platforms)];

  data.mappings?.forEach((m, i) => {
    const rule = mappingRule(yaml, m, ['mappings', i]);
    if (rule) spec.mappings.push(rule);
  });
  data.images.forEach((image, i) => {
    const source = imageSource(yaml, image, ['images', i]);
    if (source) spec.sources.push(source);
  });
  return spec;
}

function readPassword(
  yaml: YamlFile,
  path: PropertyKey[],
  host: string,
  creds: { passwordEnv?: string | undefined; passwordFile?: string | undefined },
  options: TugboatFileOptions,
  local: (p: string) => string,
): string | undefined {
  const where = pathText(path);
  if (creds.passwordEnv !== undefined) {
    const env = options.env ?? process.env;
    const value = env[creds.passwordEnv];
    if (value === undefined || value === '') {
      yaml.problems.add(
        yaml.lineAt([...path, 'passwordEnv']),
        `${where}.passwordEnv: environment variable ${creds.passwordEnv} is ${value === undefined ? 'not set' : 'empty'} (expected the password of ${host} in ${creds.passwordEnv}, e.g. export ${creds.passwordEnv}=...)`,
      );
      return undefined;
    }
    return value;
  }
  if (creds.passwordFile !== undefined) {
    const file = local(creds.passwordFile);
    const line = yaml.lineAt([...path, 'passwordFile']);
    let text: string;
    try {
      text = (options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      yaml.problems.add(line, `${where}.passwordFile: cannot read "${file}"${code ? ` (${code})` : ''} (expected a readable file holding the password of ${host})`);
      return undefined;
    }
    // Files written by `echo` end with a newline that is not part of the password.
    const password = text.replace(/\r?\n$/, '');
    if (password === '') {
      yaml.problems.add(line, `${where}.passwordFile: "${file}" is empty (expected the password of ${host})`);
      return undefined;
    }
    return password;
  }
  return undefined;
}

function mappingRule(yaml: YamlFile, m: { from: string; to: string }, path: PropertyKey[]): MappingRule | undefined {
  const line = yaml.lineAt(path);
  const fromWild = m.from.endsWith('/*');
  const toWild = m.to.endsWith('/*');
  if (toWild && !fromWild) {
    yaml.problems.add(yaml.lineAt([...path, 'to']), `${pathText(path)}.to: "${m.to}" ends in /* but from "${m.from}" does not (expected both to end in /*, or from to name one repository)`);
    return undefined;
  }
  const from = fromWild ? checkPrefix(m.from.slice(0, -2)) : checkRepository(m.from);
  const to = checkPrefix(toWild ? m.to.slice(0, -2) : m.to);
  if (!from.ok) yaml.problems.add(yaml.lineAt([...path, 'from']), `${pathText(path)}.from: ${from.problem}`);
  if (!to.ok) yaml.problems.add(yaml.lineAt([...path, 'to']), `${pathText(path)}.to: ${to.problem}`);
  if (!from.ok || !to.ok) return undefined;
  return { from: fromWild ? `${from.value}/*` : from.value, to: fromWild ? `${to.value}/*` : to.value, origin: { file: yaml.file, line } };
}

function imageSource(yaml: YamlFile, image: ImageData, path: PropertyKey[]): SyncSource | undefined {
  const where = pathText(path);
  const ref = parseReference(image.source, { defaultTag: false }); // validated by the schema
  const source: SyncSource = { repository: ref.name, filter: {}, origin: { file: yaml.file, line: yaml.lineAt(path) } };
  const aliases: Record<string, string> = {};
  if (ref.tag !== undefined || ref.digest !== undefined) {
    if (image.tags !== undefined) {
      yaml.problems.add(yaml.lineAt([...path, 'source']), `${where}.source: "${image.source}" names a tag or digest and tags are listed too (expected the repository in source and the tags in tags)`);
      return undefined;
    }
    // `source: repo:tag` is shorthand for `tags: [tag]`; `repo:tag@digest` copies the digest under the tag.
    source.filter.tags = [ref.digest ?? ref.tag ?? 'latest'];
    if (ref.digest !== undefined && ref.tag !== undefined) aliases[ref.tag] = ref.digest;
  } else if (image.tags !== undefined) {
    source.filter.tags = [...new Set(image.tags)];
  }
  if (image.regex !== undefined) source.filter.regex = image.regex;
  if (image.semver !== undefined) source.filter.semver = image.semver;
  if (image.exclude !== undefined) source.filter.exclude = image.exclude;
  if (image.newest !== undefined) source.filter.newest = typeof image.newest === 'number' ? { count: image.newest, by: 'semver' } : { count: image.newest.count, by: image.newest.by };

  for (const [alias, target] of Object.entries(image.aliases ?? {})) {
    const explicit = source.filter.tags;
    if (explicit && !explicit.includes(target)) {
      yaml.problems.add(
        yaml.lineAt([...path, 'aliases', alias]),
        `${where}.aliases.${alias}: "${target}" is not one of the tags copied (expected one of ${explicit.join(', ')})`,
      );
      continue;
    }
    aliases[alias] = target;
  }
  if (Object.keys(aliases).length > 0) source.aliases = aliases;
  if (image.platforms !== undefined) source.platforms = image.platforms === 'all' ? ['all'] : [...new Set(image.platforms)];
  if (image.to !== undefined) {
    const to = checkRepository(image.to);
    if (to.ok) source.destination = to.value;
  }
  return source;
}
