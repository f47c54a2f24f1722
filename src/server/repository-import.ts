/**
 * Batch import (seed 001 "批量添加", Q4 "使用 YAML 配置文件批量创建 / 从其他环境
 * 导入镜像配置") and export: many Repositories from one text, in any format
 * `tug sync` reads (a Tugboat sync file, skopeo sync YAML, an image-syncer
 * config, an image list) or as Repository/Registry YAML (what the export
 * writes and `tug apply` takes).
 *
 * {@link planImport} is pure: the text and what the namespace holds in, one
 * row per object out, each with its validation. The route creates the rows
 * only when every one is valid (all or nothing), so a preview (`dryRun`)
 * shows exactly what an import does.
 *
 * A sync entry that selects tags by a filter (skopeo's images-by-tag-regex
 * and images-by-semver, a Tugboat file's regex/semver/newest, an entry with
 * no tags: every tag) becomes one Repository that follows them (spec.tags).
 * Its spec.tag, the newest tag the filter selects, needs the source's tag
 * list: the route lists it first ({@link tagListings}) and hands the lists
 * to {@link planImport} as data, so the planning stays pure.
 *
 * What an import never does: use credentials from the text (Registries are
 * matched by host and carry their own sealed credentials; a file's
 * `passwordFile` is never read and `passwordEnv` sees an empty environment,
 * so a file cannot make the server read its disk or environment), or create
 * a Registry with credentials.
 */
import YAML from 'yaml';
import type { Cause } from '../api/kinds.ts';
import { tagRegexProblem } from '../api/repository-kind.ts';
import { parseRegistryUrl } from '../api/schema.ts';
import { API_VERSION, DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, type Registry, type Repository } from '../api/types.ts';
import { TugError } from '../errors/index.ts';
import { DOCKER_HUB } from '../reference/reference.ts';
import { compareTags, followedTags } from '../scheduler/followed-tags.ts';
import { SYNC_FORMATS, type SyncFormat, readSyncSpec } from '../sync/config/index.ts';
import { needsListing, selectTags } from '../sync/filter.ts';
import type { SyncSource, SyncSpec, TagFilter } from '../sync/spec.ts';
import { destinationRepository } from '../sync/targets.ts';
import { type KindHandler, handlers, placeInNamespace, validate } from './resources.ts';

/** Most rows one import takes (the body limit bounds the text too). */
export const MAX_IMPORT_ROWS = 5000;

export type ImportFormat = 'auto' | 'resources' | SyncFormat;
/** `auto` (resources when a document has this API's apiVersion, else what the sync readers detect), `resources`, or a sync format. */
export const IMPORT_FORMATS: readonly ImportFormat[] = ['auto', 'resources', ...SYNC_FORMATS];

export interface ImportRequest {
  format?: ImportFormat | undefined;
  content: string;
  dryRun?: boolean | undefined;
  /** Rows whose object exists already are reported and left alone instead of failing the import. */
  skipExisting?: boolean | undefined;
  /** Mirror every imported image under this Registry (and path prefix) when the text names no destination for it. */
  mirror?: { registryRef: { name: string }; prefix?: string | undefined } | undefined;
  /** `spec.syncInterval` for every Repository from a sync format (resources keep their own). */
  syncInterval?: string | undefined;
}

export interface ImportRow {
  row: number;
  /** `line N` of the text, where the row came from. */
  origin: string;
  kind: 'Repository' | 'Registry';
  name: string;
  /** The image, `host/path:tag` (Repositories). */
  source?: string | undefined;
  state: 'create' | 'exists' | 'invalid';
  causes: Cause[];
  object?: Repository | Registry | undefined;
  /** A filter entry's followed tags as its first sync would take them (spec.tag first), for the preview. */
  tags?: string[] | undefined;
}

export interface ImportPlan {
  format: Exclude<ImportFormat, 'auto'>;
  rows: ImportRow[];
}

/** What the namespace holds that an import needs to know. */
export interface NamespaceState {
  namespace: string;
  registries: readonly Registry[];
  /** `Kind/name` of every existing object. */
  existing: ReadonlySet<string>;
}

/**
 * Why a row is invalid, as a stable `reason` (Kubernetes' StatusCause
 * reasons are open-ended strings): clients word the cause in their user's
 * language from it (issue 16: no English server text in the Chinese UI), the
 * message stays the server's detail. Schema causes keep the schema's reasons.
 */
export const IMPORT_CAUSES = {
  notYaml: 'ImportNotYAML',
  unknownKind: 'ImportUnknownKind',
  credentials: 'ImportCredentials',
  foreignNamespace: 'ImportForeignNamespace',
  registryRefNotFound: 'ImportRegistryRefNotFound',
  /** The source's tag list, which a filter entry needs, could not be read. */
  tagListUnreadable: 'ImportTagListUnreadable',
  /** The filter selects no tag the source lists. */
  noTagMatches: 'ImportNoTagMatches',
  hostUnknown: 'ImportHostUnknown',
  mirrorHostUnknown: 'ImportMirrorHostUnknown',
  mirrorRegistryNotFound: 'ImportMirrorRegistryNotFound',
  duplicateName: 'ImportDuplicateName',
  /** The name exists in the namespace (and skipExisting is off). */
  exists: 'FieldValueDuplicate',
} as const;

const fail = (reason: string, message: string, field?: string): Cause => ({ reason, message, ...(field ? { field } : {}) });

/** `docker.io` for every name Docker Hub goes by, as references normalise it. */
function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? DOCKER_HUB : h;
}

/** The Registry of `state` whose URL is `host` (the first by name when several are). */
function registryFor(state: NamespaceState, host: string): Registry | undefined {
  const want = canonicalHost(host);
  return [...state.registries]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .find((r) => {
      const ep = parseRegistryUrl(r.spec.url);
      return !('error' in ep) && canonicalHost(ep.host) === want;
    });
}

/** A DNS-1123 subdomain from an image path and tag: `yurthub-v1.6.0` (at most 253 characters). */
export function repositoryName(path: string, tag: string): string {
  const base = `${path.slice(path.lastIndexOf('/') + 1)}-${tag}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return (base || 'image').slice(0, 253).replace(/[^a-z0-9]+$/, '');
}

/** Which format the text is: resources when a document carries this API's apiVersion, else what the sync readers detect. */
function isResources(text: string): boolean {
  try {
    return YAML.parseAllDocuments(text, { uniqueKeys: false }).some((d) => {
      const v = d.toJS({ maxAliasCount: 100 }) as { apiVersion?: unknown } | null;
      return v !== null && typeof v === 'object' && v.apiVersion === API_VERSION;
    });
  } catch {
    return false;
  }
}

/**
 * The tags each filter entry's source lists, by {@link listingKey}: the tags
 * (artifact tags left out), or why they could not be read (one line, no
 * credentials).
 */
export type ListedTags = ReadonlyMap<string, readonly string[] | { error: string }>;

/** One tag list to read before planning: `path` at `registry`. */
export interface TagListing {
  key: string;
  registry: Registry;
  path: string;
}

const listingKey = (registry: Registry, path: string): string => `${registry.metadata.name}/${path}`;

function formatOf(req: ImportRequest): Exclude<ImportFormat, 'auto'> | undefined {
  return req.format && req.format !== 'auto' ? req.format : isResources(req.content) ? 'resources' : undefined;
}

/** True when the entry follows tags by a filter (or every tag) rather than by name. */
const byFilter = (source: SyncSource): boolean => source.image === undefined && needsListing(source.filter);

/**
 * The tag lists {@link planImport} needs: each filter entry's repository at
 * the Registry of its host, once each. A text that does not read yields none
 * (planImport then says why).
 */
export function tagListings(req: ImportRequest, state: NamespaceState): TagListing[] {
  const format = formatOf(req);
  if (format === 'resources') return [];
  let spec: SyncSpec;
  try {
    spec = readSpec(req, format);
  } catch {
    return [];
  }
  const out = new Map<string, TagListing>();
  for (const source of spec.sources.filter(byFilter)) {
    const host = source.repository.slice(0, source.repository.indexOf('/'));
    const path = source.repository.slice(host.length + 1);
    const registry = registryFor(state, host);
    if (registry) out.set(listingKey(registry, path), { key: listingKey(registry, path), registry, path });
  }
  return [...out.values()];
}

/**
 * A filter entry as spec.tags. An entry with no filter follows every tag
 * (skopeo's `images: {busybox: []}`): `.*`, the followed set's bound
 * (MAX_FOLLOWED_TAGS) applying as it does to any filter.
 */
function tagsSpecOf(filter: TagFilter): NonNullable<Repository['spec']['tags']> {
  const any = filter.regex !== undefined || filter.semver !== undefined || filter.newest !== undefined;
  return {
    ...(filter.tags?.length ? { list: filter.tags } : {}),
    ...(filter.regex !== undefined ? { regex: filter.regex } : any ? {} : { regex: '.*' }),
    ...(filter.semver !== undefined ? { semver: filter.semver } : {}),
    ...(filter.exclude?.length ? { exclude: filter.exclude } : {}),
    ...(filter.newest ? { newest: { count: filter.newest.count, by: filter.newest.by } } : {}),
  };
}

/**
 * The tag a filter entry's Repository takes as spec.tag: the newest its
 * filters select, in the followed set's order (newest by semver in version
 * order, else newest-looking first, as the tags tab). `newest: {by: created}`
 * needs creation times an import does not read: its candidates are ordered
 * newest-looking instead, and the first sync dates them.
 */
function newestSelected(tags: NonNullable<Repository['spec']['tags']>, listed: readonly string[]): string | undefined {
  const newest = tags.newest && (tags.newest.by ?? 'semver') === 'semver' ? { count: tags.newest.count, by: 'semver' as const } : undefined;
  const selected = selectTags({ regex: tags.regex, semver: tags.semver, exclude: tags.exclude, newest }, { listed: [...listed] });
  if (!newest) selected.sort(compareTags);
  return selected[0];
}

/** A filter in a line of the user's words: `regex ^3\.`, `semver >=1.6`. */
function describeFilter(tags: NonNullable<Repository['spec']['tags']>): string {
  const parts = [
    tags.regex !== undefined ? `regex ${tags.regex}` : '',
    tags.semver !== undefined ? `semver ${tags.semver}` : '',
    tags.exclude ? `exclude ${tags.exclude.join(', ')}` : '',
    tags.newest ? `newest ${tags.newest.count}${tags.newest.by ? ` by ${tags.newest.by}` : ''}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

export function planImport(req: ImportRequest, state: NamespaceState, listed: ListedTags = new Map()): ImportPlan {
  const format = formatOf(req);
  const plan = format === 'resources' ? resourceRows(req, state) : syncRows(req, state, format, listed);
  // Names taken twice in one import, and what exists already.
  const seen = new Set<string>();
  for (const row of plan.rows) {
    const key = `${row.kind}/${row.name}`;
    if (seen.has(key)) row.causes.push(fail(IMPORT_CAUSES.duplicateName, `${row.kind} "${row.name}" is in this import twice`, 'metadata.name'));
    seen.add(key);
    if (state.existing.has(key)) {
      if (req.skipExisting) row.state = row.causes.length ? 'invalid' : 'exists';
      else row.causes.push({ reason: IMPORT_CAUSES.exists, message: `${row.kind} "${state.namespace}/${row.name}" already exists (skipExisting leaves it alone)`, field: 'metadata.name' });
    }
    if (row.causes.length > 0) row.state = 'invalid';
  }
  if (plan.rows.length > MAX_IMPORT_ROWS) throw new TugError('USAGE', `the import has ${plan.rows.length} rows; at most ${MAX_IMPORT_ROWS} at once`, { hint: 'split the file' });
  return plan;
}

/**
 * An export of another namespace imports into this one as it is (issue 16,
 * "import from another environment"): each object moves here, and so do its
 * references to the namespace it came from. A reference to a third namespace
 * stays as written, and is refused below.
 */
function rehome(value: Record<string, unknown>, namespace: string): void {
  const meta = value.metadata as { namespace?: unknown } | null | undefined;
  if (!meta || typeof meta !== 'object' || typeof meta.namespace !== 'string' || meta.namespace === namespace) return;
  const from = meta.namespace;
  meta.namespace = namespace;
  const spec = value.spec as { registryRef?: { namespace?: unknown } | null; mirror?: { registryRef?: { namespace?: unknown } | null } | null } | null | undefined;
  for (const ref of [spec?.registryRef, spec?.mirror?.registryRef]) if (ref && typeof ref === 'object' && ref.namespace === from) ref.namespace = namespace;
}

/** Repository and Registry documents, validated as a POST of each would be. */
function resourceRows(req: ImportRequest, state: NamespaceState): ImportPlan {
  const rows: ImportRow[] = [];
  const docs = YAML.parseAllDocuments(req.content, { uniqueKeys: true });
  const newRegistries: Registry[] = [];
  docs.forEach((doc, i) => {
    const line = doc.range ? lineOf(req.content, doc.range[0]) : i + 1;
    const value = doc.errors.length === 0 ? (doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null) : undefined;
    if (value === null) return; // an empty document (a trailing ---)
    const kind = value && (value.kind === 'Registry' || value.kind === 'Repository') ? value.kind : undefined;
    const name = String((value?.metadata as { name?: unknown } | undefined)?.name ?? '');
    const row: ImportRow = { row: rows.length + 1, origin: `line ${line}`, kind: kind ?? 'Repository', name, state: 'create', causes: [] };
    rows.push(row);
    if (!value || doc.errors.length > 0) {
      row.causes.push(fail(IMPORT_CAUSES.notYaml, `not YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'an empty document'}`));
      return;
    }
    if (!kind) {
      row.causes.push(fail(IMPORT_CAUSES.unknownKind, `kind must be Registry or Repository, got ${JSON.stringify(value.kind)}`, 'kind'));
      return;
    }
    try {
      const h = handlers.find((x) => x.kind === kind) as KindHandler<typeof kind>;
      rehome(value, state.namespace);
      const obj = h.defaults(placeInNamespace(validate(h, value), state.namespace)) as Repository | Registry;
      delete obj.metadata.resourceVersion;
      delete (obj as { status?: unknown }).status;
      if (obj.kind === 'Registry') {
        // Exported Registries carry no secrets; an import never takes them either.
        if (obj.spec.credentials?.password !== undefined || obj.spec.credentials?.token !== undefined) {
          row.causes.push(fail(IMPORT_CAUSES.credentials, 'an import does not take credentials: create the Registry, then set its password or token in the console or with tug apply', 'spec.credentials'));
        }
        if (obj.spec.credentials) obj.spec.credentials = { ...(obj.spec.credentials.username ? { username: obj.spec.credentials.username } : {}) };
        newRegistries.push(obj);
      } else {
        row.source = `${obj.spec.repository}:${obj.spec.tag}`;
        const known = [...state.registries, ...newRegistries].map((r) => r.metadata.name);
        for (const [field, ref] of [['spec.registryRef', obj.spec.registryRef], ['spec.mirror.registryRef', obj.spec.mirror?.registryRef]] as const) {
          if (!ref) continue;
          if ((ref.namespace ?? state.namespace) !== state.namespace) row.causes.push(fail(IMPORT_CAUSES.foreignNamespace, `an import refers to Registries of its own namespace only, not ${ref.namespace}`, `${field}.namespace`));
          else if (!known.includes(ref.name)) row.causes.push(fail(IMPORT_CAUSES.registryRefNotFound, `no Registry "${ref.name}" in ${state.namespace} or in this import`, `${field}.name`));
        }
      }
      row.object = obj;
    } catch (err) {
      const causes = (err as { status?: { details?: { causes?: Cause[] } } }).status?.details?.causes;
      row.causes.push(...(causes?.length ? causes : [fail('FieldValueInvalid', (err as Error).message)]));
    }
  });
  // Registries first: the Repositories name them.
  rows.sort((a, b) => (a.kind === b.kind ? a.row - b.row : a.kind === 'Registry' ? -1 : 1));
  return { format: 'resources', rows };
}

/** A sync input read as `tug sync` reads it, with no disk and an empty environment. */
function readSpec(req: ImportRequest, format: SyncFormat | undefined): SyncSpec {
  try {
    return readSyncSpec([{ file: 'import', text: req.content }], {
      format,
      env: {},
      readFile: () => {
        throw new Error('an import never reads files');
      },
    });
  } catch (err) {
    const e = err as TugError;
    throw new TugError('USAGE', e.message, { hint: e.hint ?? 'check the text: a Tugboat sync file, skopeo sync YAML, an image-syncer config, an image list, or Repository YAML' });
  }
}

/** A Repository document validated and defaulted as a POST would, or the row's causes. */
function repositoryRow(row: ImportRow, doc: object): void {
  try {
    const h = handlers.find((x) => x.kind === 'Repository') as KindHandler<'Repository'>;
    row.object = h.defaults(validate(h, doc));
  } catch (err) {
    const causes = (err as { status?: { details?: { causes?: Cause[] } } }).status?.details?.causes;
    row.causes.push(...(causes?.length ? causes : [fail('FieldValueInvalid', (err as Error).message)]));
  }
}

/**
 * One Repository per image and tag of a sync input, its Registry found by
 * host; one per filter entry, following what the filter selects in
 * `listed` (see {@link tagListings}).
 */
function syncRows(req: ImportRequest, state: NamespaceState, format: SyncFormat | undefined, listed: ListedTags): ImportPlan {
  const spec = readSpec(req, format);
  const rows: ImportRow[] = [];
  const mirrorRegistry = req.mirror ? state.registries.find((r) => r.metadata.name === req.mirror!.registryRef.name) : undefined;
  for (const source of spec.sources) {
    const origin = `line ${source.origin.line}`;
    const host = source.repository.slice(0, source.repository.indexOf('/'));
    const path = source.repository.slice(host.length + 1);
    const tags = source.filter.tags ?? [];
    const base: Omit<ImportRow, 'row' | 'name' | 'source'> = { origin, kind: 'Repository', state: 'create', causes: [] };
    const registry = registryFor(state, host);
    let mirror: Repository['spec']['mirror'];
    const mirrorCauses: Cause[] = [];
    let destination: string | undefined;
    try {
      destination = destinationRepository(source, spec.mappings, { prefix: spec.destination });
    } catch {
      destination = undefined;
    }
    if (destination) {
      const dHost = destination.slice(0, destination.indexOf('/'));
      const target = registryFor(state, dHost);
      if (target) mirror = { registryRef: { name: target.metadata.name, namespace: state.namespace }, repository: destination.slice(dHost.length + 1) };
      else mirrorCauses.push(fail(IMPORT_CAUSES.mirrorHostUnknown, `the text mirrors ${source.repository} to ${dHost}, which no Registry in ${state.namespace} points at: add one first`, 'spec.mirror.registryRef'));
    } else if (req.mirror) {
      if (!mirrorRegistry) mirrorCauses.push(fail(IMPORT_CAUSES.mirrorRegistryNotFound, `no Registry "${req.mirror.registryRef.name}" in ${state.namespace} to mirror to`, 'spec.mirror.registryRef'));
      else {
        const prefix = req.mirror.prefix?.replace(/^\/+|\/+$/g, '');
        mirror = { registryRef: { name: mirrorRegistry.metadata.name, namespace: state.namespace }, repository: prefix ? `${prefix}/${path}` : path };
      }
    }
    /** What every row of the entry shares; the mirror tag (when given) is where spec.tag's copy goes. */
    const common = (mirrorTag: string | undefined) => ({
      ...(req.syncInterval ? { syncInterval: req.syncInterval } : {}),
      ...(mirror ? { mirror: { ...mirror, ...(mirrorTag ? { tag: mirrorTag } : {}) } } : {}),
      ...(source.platforms && !source.platforms.includes('all') ? { platforms: source.platforms } : {}),
    });
    const annotations = { [DESCRIPTION_ANNOTATION]: `imported from ${origin}` };
    if (byFilter(source)) {
      const name = repositoryName(path, 'all');
      const row: ImportRow = { ...base, row: rows.length + 1, name, source: source.repository, causes: [...mirrorCauses] };
      rows.push(row);
      if (!registry) {
        row.causes.push(fail(IMPORT_CAUSES.hostUnknown, `no Registry in ${state.namespace} points at ${host}: add one (its URL ${host}) first`, 'spec.registryRef'));
        continue;
      }
      const tagsSpec = tagsSpecOf(source.filter);
      // The schema's check, before the patterns run over the tag list: a backtracking one would hold the event loop.
      const problems = [['spec.tags.regex', tagsSpec.regex], ...(tagsSpec.exclude ?? []).map((x, i) => [`spec.tags.exclude[${i}]`, x])].flatMap(([field, re]) => {
        const problem = re === undefined ? undefined : tagRegexProblem(re);
        return problem ? [fail('FieldValueInvalid', `${re} ${problem}`, field)] : [];
      });
      if (problems.length > 0) {
        row.causes.push(...problems);
        continue;
      }
      const got = listed.get(listingKey(registry, path)) ?? { error: 'not listed' };
      if ('error' in got) {
        row.causes.push(fail(IMPORT_CAUSES.tagListUnreadable, `the tags of ${path} at ${host} could not be read: ${got.error}`, 'spec.tags'));
        continue;
      }
      // Named tags with a filter: in a sync file the filter narrows the names (src/sync/filter.ts), a fixed
      // set once the source is listed; spec.tags.list is never narrowed, so the Repository follows that set by name.
      const fixed = source.filter.tags?.length && source.filter.newest?.by !== 'created' ? selectTags(source.filter, { listed: [...got] }).sort(compareTags) : undefined;
      const tag = fixed ? fixed[0] : newestSelected(tagsSpec, got);
      if (tag === undefined) {
        row.causes.push(fail(IMPORT_CAUSES.noTagMatches, `no tag of ${path} at ${host} matches ${describeFilter(tagsSpec)} (${got.length} tags listed)`, 'spec.tags'));
        continue;
      }
      row.source = `${source.repository}:${tag}`;
      const list = (fixed ?? tagsSpec.list)?.filter((t) => t !== tag);
      const followed: NonNullable<Repository['spec']['tags']> = fixed ? {} : { ...tagsSpec };
      if (list?.length) followed.list = list;
      else delete followed.list;
      row.tags = followedTags({ tag, tags: followed }, got).tags;
      // Followed tags reach the mirror under their own names: spec.mirror.tag is left to default to spec.tag.
      repositoryRow(row, {
        apiVersion: API_VERSION,
        kind: 'Repository',
        metadata: { name, namespace: state.namespace, annotations },
        spec: { repository: path, tag, registryRef: { name: registry.metadata.name, namespace: state.namespace }, ...common(undefined), ...(Object.keys(followed).length > 0 ? { tags: followed } : {}) },
      });
      continue;
    }
    for (const tag of tags) {
      const name = repositoryName(path, tag);
      const row: ImportRow = { ...base, row: rows.length + 1, name, source: `${source.repository}:${tag}`, causes: [...mirrorCauses] };
      rows.push(row);
      if (!registry) {
        row.causes.push(fail(IMPORT_CAUSES.hostUnknown, `no Registry in ${state.namespace} points at ${host}: add one (its URL ${host}) first`, 'spec.registryRef'));
        continue;
      }
      repositoryRow(row, {
        apiVersion: API_VERSION,
        kind: 'Repository',
        metadata: { name, namespace: state.namespace, annotations },
        spec: { repository: path, tag, registryRef: { name: registry.metadata.name, namespace: state.namespace }, ...common(tag.startsWith('sha256:') ? undefined : tag) },
      });
    }
  }
  return { format: spec.format === 'dir' ? 'list' : spec.format, rows };
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Objects as `tug apply` and the import take them back: no status, no
 * server-set metadata, Registries without any credential but the user name.
 */
export function exportDocuments(registries: readonly Registry[], repositories: readonly Repository[]): string {
  const clean = (o: Registry | Repository) => {
    const { name, namespace, labels, annotations } = o.metadata;
    const keep = annotations && Object.fromEntries(Object.entries(annotations).filter(([k]) => k === DISPLAY_NAME_ANNOTATION || k === DESCRIPTION_ANNOTATION || !k.includes('tugboat')));
    const metadata = { name, namespace, ...(labels && Object.keys(labels).length ? { labels } : {}), ...(keep && Object.keys(keep).length ? { annotations: keep } : {}) };
    if (o.kind === 'Registry') {
      const { credentials, ...spec } = o.spec;
      return { apiVersion: API_VERSION, kind: o.kind, metadata, spec: { ...spec, ...(credentials?.username ? { credentials: { username: credentials.username } } : {}) } };
    }
    return { apiVersion: API_VERSION, kind: o.kind, metadata, spec: o.spec };
  };
  return [...registries, ...repositories].map((o) => YAML.stringify(clean(o), { lineWidth: 0 })).join('---\n');
}
