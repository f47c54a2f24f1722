/**
 * containers-registries.conf(5), the file skopeo, podman and buildah read
 * from /etc/containers/registries.conf: which registries are blocked or
 * insecure, their mirrors, and prefix remapping. This module turns the TOML
 * text of one file into a checked {@link RegistriesConfig} and merges
 * drop-ins; it does no I/O (load.ts finds and reads the files) and no
 * matching (resolve.ts).
 *
 * The checks and their meaning follow containers/image
 * `pkg/sysregistriesv2` (`postProcessRegistries`, `loadConfigFile`,
 * `updateWithConfigurationFrom`), so a file skopeo accepts means the same
 * here and a file it refuses is refused, with one line naming the file and
 * the field. Keys it does not know are ignored as it ignores them, so a file
 * written for a newer podman still loads.
 */
import { parse as parseToml } from 'smol-toml';
import { TugError } from '../errors/index.ts';

/** `pull-from-mirror` of a mirror: which pulls may use it (default `all`). */
export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

/** One place images are pulled from: a registry's own location or one of its mirrors. */
export interface RegistryEndpoint {
  /** `host[:port][/namespace]`, without scheme or trailing `/`; empty only for a wildcard prefix's own endpoint. */
  location: string;
  /** Skip TLS verification and allow plain HTTP to this location. */
  insecure: boolean;
}

/** A `[[registry.mirror]]`. */
export interface MirrorEndpoint extends RegistryEndpoint {
  pullFromMirror: PullFromMirror;
}

/** A `[[registry]]` table. */
export interface RegistryEntry extends RegistryEndpoint {
  /** What image names it applies to: `host[/path]`, or `*.example.com` for every subdomain. Defaults to `location`. */
  prefix: string;
  /** Pulls and pushes to this location are refused. */
  blocked: boolean;
  /** Mirrors are used only for pulls by digest. */
  mirrorByDigestOnly: boolean;
  /** Tried in order before the registry's own location, for pulls only. */
  mirrors: MirrorEndpoint[];
  /** The file this entry came from, for messages. */
  file: string;
}

/** `short-name-mode`: how podman resolves short names. Read and checked; `docker://` names never use it. */
export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';

/**
 * The merged configuration of a main file and its drop-ins. `registries`
 * holds one entry per prefix, sorted by prefix, as containers/image keeps them.
 */
export interface RegistriesConfig {
  /** Every file read, in order (for messages). */
  files: string[];
  registries: RegistryEntry[];
  /**
   * `unqualified-search-registries` (undefined: not set). Checked and kept:
   * skopeo's `docker://` names are always qualified (a short name means
   * docker.io) and only podman/buildah search these, so tug does not either.
   */
  unqualifiedSearchRegistries: string[] | undefined;
  shortNameMode: ShortNameMode | undefined;
  /**
   * `credential-helpers`, when set: where credentials are looked up, in
   * order, instead of the auth files alone (`containers-auth.json` names the
   * auth files themselves; credentials/helper-list.ts). Undefined: auth files only.
   */
  credentialHelpers: string[] | undefined;
}

function bad(file: string, field: string, problem: string): TugError {
  return new TugError('USAGE', `registries.conf "${file}": ${field} ${problem}`, {
    hint: 'fix the file (containers-registries.conf(5)), or pass --registries-conf with another one',
  });
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Typed reads of optional fields: a present field of the wrong type names itself. */
class Fields {
  private readonly file: string;
  private readonly where: string;
  private readonly t: Table;

  constructor(file: string, where: string, t: Table) {
    this.file = file;
    this.where = where;
    this.t = t;
  }

  name(key: string): string {
    return this.where ? `${this.where}.${key}` : key;
  }

  string(key: string): string | undefined {
    const v = this.t[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw bad(this.file, this.name(key), 'must be a string');
    return v;
  }

  bool(key: string): boolean {
    const v = this.t[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw bad(this.file, this.name(key), 'must be true or false (no quotes)');
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.t[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(this.file, this.name(key), 'must be a list of strings');
    return v;
  }

  tables(key: string): Table[] {
    const v = this.t[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every(isTable)) throw bad(this.file, this.name(key), `must be tables ([[${this.name(key)}]])`);
    return v;
  }
}

/** containers/image `parseLocation`: trailing slashes dropped, no URL scheme. */
function location(file: string, field: string, input: string): string {
  const trimmed = input.replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) throw bad(file, field, `"${input}" must not carry a URL scheme (write host[:port][/path]; use insecure = true for plain HTTP)`);
  if (/\s/.test(trimmed)) throw bad(file, field, `"${input}" contains white space`);
  return trimmed;
}

// A registry host as docker/distribution's reference grammar spells it (domain or [IPv6], optional port).
const DOMAIN_RE = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

function registryEntry(file: string, index: number, t: Table): RegistryEntry {
  const f = new Fields(file, `registry[${index}]`, t);
  const loc = location(file, f.name('location'), f.string('location') ?? '');
  let prefix = f.string('prefix') ?? '';
  if (prefix === '') {
    if (loc === '') throw bad(file, f.name('location'), 'and prefix are both unset: set at least one');
    prefix = loc;
  } else {
    prefix = location(file, f.name('prefix'), prefix);
    if (!prefix.startsWith('*.') && loc === '') throw bad(file, f.name('location'), `is unset and prefix "${prefix}" is not a wildcard (*.example.com)`);
  }
  if (prefix.startsWith('*.') && /[/@:]/.test(prefix)) throw bad(file, f.name('prefix'), `"${prefix}": a wildcard prefix is a bare *.domain, without path, port or digest`);
  if (t['pull-from-mirror'] !== undefined) throw bad(file, f.name('pull-from-mirror'), 'is only allowed in a [[registry.mirror]]');
  const mirrorByDigestOnly = f.bool('mirror-by-digest-only');
  const mirrors = f.tables('mirror').map((m, j): MirrorEndpoint => {
    const mf = new Fields(file, `${f.name('mirror')}[${j}]`, m);
    const mloc = location(file, mf.name('location'), mf.string('location') ?? '');
    if (mloc === '') throw bad(file, mf.name('location'), 'is unset: a mirror needs a location');
    const pull = mf.string('pull-from-mirror');
    if (pull !== undefined && mirrorByDigestOnly) throw bad(file, mf.name('pull-from-mirror'), `cannot be combined with mirror-by-digest-only of its registry "${prefix}"`);
    if (pull !== undefined && pull !== '' && pull !== 'all' && pull !== 'digest-only' && pull !== 'tag-only') {
      throw bad(file, mf.name('pull-from-mirror'), `"${pull}" must be all, digest-only or tag-only`);
    }
    return { location: mloc, insecure: mf.bool('insecure'), pullFromMirror: pull === undefined || pull === '' ? 'all' : pull };
  });
  return { prefix, location: loc, insecure: f.bool('insecure'), blocked: f.bool('blocked'), mirrorByDigestOnly, mirrors, file };
}

/** The v1 format (`[registries.search]`, `.insecure`, `.block`), as containers/image converts it. */
function fromV1(file: string, v1: Table): RegistryEntry[] {
  const byLocation = new Map<string, RegistryEntry>();
  const entry = (field: string, raw: string) => {
    const loc = location(file, field, raw);
    let e = byLocation.get(loc);
    if (!e) {
      e = { prefix: loc, location: loc, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [], file };
      byLocation.set(loc, e);
    }
    return e;
  };
  for (const [kind, set] of [['block', 'blocked'], ['insecure', 'insecure']] as const) {
    const section = v1[kind];
    if (section === undefined) continue;
    if (!isTable(section)) throw bad(file, `registries.${kind}`, 'must be a table');
    for (const r of new Fields(file, `registries.${kind}`, section).strings('registries') ?? []) entry(`registries.${kind}.registries`, r)[set] = true;
  }
  return [...byLocation.values()];
}

/**
 * Parses one file's text. `dropIn` files (registries.conf.d/*.conf) must be
 * in the v2 format, as containers/image requires. Throws USAGE naming the
 * file and the field for anything containers/image refuses.
 */
export function parseRegistriesConf(text: string, file: string, options: { dropIn?: boolean } = {}): RegistriesConfig {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (err) {
    // smol-toml's message carries the line and column and a code frame; the first line is the one a person needs.
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new TugError('USAGE', `registries.conf "${file}": not valid TOML: ${first}`, { hint: 'fix the file (containers-registries.conf(5))', cause: err });
  }
  const f = new Fields(file, '', doc);
  const v1 = doc.registries;
  const hasV2 = ['registry', 'unqualified-search-registries', 'credential-helpers', 'short-name-mode'].some((k) => doc[k] !== undefined);
  let registries: RegistryEntry[];
  let search: string[] | undefined;
  if (v1 !== undefined) {
    if (options.dropIn) throw bad(file, 'registries', 'is the v1 format, which drop-in files may not use: write [[registry]] tables');
    if (hasV2) throw bad(file, 'registries', 'is the v1 format, mixed here with v2 fields: use one format');
    if (!isTable(v1)) throw bad(file, 'registries', 'must be a table');
    registries = fromV1(file, v1);
    const s = v1.search;
    search = isTable(s) ? new Fields(file, 'registries.search', s).strings('registries') : undefined;
  } else {
    registries = f.tables('registry').map((t, i) => registryEntry(file, i, t));
    search = f.strings('unqualified-search-registries');
  }
  // Two entries for one location must agree on insecure and blocked, or which one applies would depend on the name used.
  const byLocation = new Map<string, RegistryEntry>();
  for (const r of registries) {
    const key = r.location || r.prefix;
    const other = byLocation.get(key);
    if (other && other.insecure !== r.insecure) throw bad(file, 'registry', `"${key}" is defined several times with different insecure settings`);
    if (other && other.blocked !== r.blocked) throw bad(file, 'registry', `"${key}" is defined several times with different blocked settings`);
    byLocation.set(key, r);
  }
  const unqualifiedSearchRegistries = search?.map((r) => {
    const loc = location(file, 'unqualified-search-registries', r);
    if (!DOMAIN_RE.test(loc)) throw bad(file, 'unqualified-search-registries', `entry "${r}" is not a registry host`);
    return loc;
  });
  const mode = f.string('short-name-mode');
  if (mode !== undefined && mode !== '' && mode !== 'enforcing' && mode !== 'permissive' && mode !== 'disabled') {
    throw bad(file, 'short-name-mode', `"${mode}" must be enforcing, permissive or disabled`);
  }
  if (doc.aliases !== undefined && !isTable(doc.aliases)) throw bad(file, 'aliases', 'must be a table');
  return {
    files: [file],
    registries: uniqueByPrefix(registries),
    // Absent and empty differ when merging: an empty list in a drop-in clears the search list.
    unqualifiedSearchRegistries,
    shortNameMode: mode === undefined || mode === '' ? undefined : mode,
    credentialHelpers: f.strings('credential-helpers'),
  };
}

/** The first entry of each prefix wins within one file; the result is sorted by prefix. */
function uniqueByPrefix(entries: readonly RegistryEntry[]): RegistryEntry[] {
  const seen = new Map<string, RegistryEntry>();
  for (const e of entries) if (!seen.has(e.prefix)) seen.set(e.prefix, e);
  return [...seen.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/**
 * Applies a drop-in on top of `base` (containers/image
 * `updateWithConfigurationFrom`): its registries replace those with the same
 * prefix, and each other field it sets replaces the base's.
 */
export function mergeRegistriesConf(base: RegistriesConfig, dropIn: RegistriesConfig): RegistriesConfig {
  const byPrefix = new Map(base.registries.map((r) => [r.prefix, r]));
  for (const r of dropIn.registries) byPrefix.set(r.prefix, r);
  return {
    files: [...base.files, ...dropIn.files],
    registries: uniqueByPrefix([...byPrefix.values()]),
    unqualifiedSearchRegistries: dropIn.unqualifiedSearchRegistries ?? base.unqualifiedSearchRegistries,
    shortNameMode: dropIn.shortNameMode ?? base.shortNameMode,
    credentialHelpers: dropIn.credentialHelpers ?? base.credentialHelpers,
  };
}
