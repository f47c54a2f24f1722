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
import { visit, isPair, isScalar as isYamlScalar } from 'yaml';
import { createRequire } from 'node:module';
import type * as Z from 'zod';
import { parseReference } from '../../reference/index.ts';
import type { MappingRule, RegistryAccess, SyncSource, SyncSpec } from '../spec.ts';
import { errorText } from '../../errors/index.ts';
import { kindOf, unknownKeyMessage, YamlFile, type ConfigText } from './config-file.ts';
import {
  checkPlatform,
  checkPrefix,
  checkRegex,
  checkRegistryKey,
  checkRepository,
  checkSemverRange,
  checkTag,
  checkTagOrDigest,
  type Checked,
} from './values.ts';

export const TUGBOAT_API_VERSION = 'tugboat.dev/v1alpha1';
export const TUGBOAT_KIND = 'SyncConfig';

const PASSWORD_REFUSED =
  'a plaintext password is not allowed in a sync file (expected passwordEnv: VARIABLE, read from the environment, or passwordFile: PATH, read from a file)';
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Adds a zod issue for a failed {@link Checked}. */
function refineWith<T>(check: (v: T) => Checked<unknown>) {
  return (value: T, ctx: Z.RefinementCtx) => {
    const r = check(value);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
  };
}

// zod is loaded, and the schemas built, only when a Tugboat file is read:
// detecting the format of a skopeo or image-syncer file must not pay for it.
const requireLazily = createRequire(import.meta.url);

/** The objects of a Tugboat file that have keys of their own. */
type ObjectKind = '' | 'registry' | 'credentials' | 'mapping' | 'image' | 'newest';

function buildSchemas() {
  const { z } = requireLazily('zod') as typeof Z;
  const nonEmpty = z.string().min(1);

  const platformsSchema = z.union([z.literal('all'), z.array(nonEmpty.superRefine(refineWith(checkPlatform))).min(1)], {
    error: 'expected "all" or a list of platforms such as [linux/amd64, linux/arm64]',
  });

  const credentialsSchema = z
    .strictObject({
      username: nonEmpty,
      passwordEnv: nonEmpty.regex(ENV_NAME_RE, { error: 'not an environment variable name (expected letters, digits and _, not starting with a digit)' }).optional(),
      passwordFile: nonEmpty.optional(),
    })
    .superRefine((c, ctx) => {
      if ((c.passwordEnv === undefined) === (c.passwordFile === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'credentials need exactly one of passwordEnv or passwordFile' });
      }
    });

  const registrySchema = z.strictObject({
    credentials: credentialsSchema.optional(),
    'tls-verify': z.boolean().optional(),
    'cert-dir': nonEmpty.optional(),
    'plain-http': z.boolean().optional(),
  });

  const mappingSchema = z.strictObject({ from: nonEmpty, to: nonEmpty });

  const newestSchema = z.union(
    [
      z.number().int().positive(),
      z.strictObject({ count: z.number().int().positive(), by: z.enum(['semver', 'created']).default('semver') }),
    ],
    { error: 'expected a positive number or {count: N, by: semver|created}' },
  );

  const imageSchema = z.strictObject({
    source: nonEmpty.superRefine(refineWith((s: string) => checkSourceRef(s))),
    tags: z.array(nonEmpty.superRefine(refineWith(checkTagOrDigest))).min(1).optional(),
    regex: nonEmpty.superRefine(refineWith((s: string) => checkRegex(s, 'js'))).optional(),
    semver: nonEmpty.superRefine(refineWith((s: string) => checkSemverRange(s, 'node'))).optional(),
    exclude: z.array(nonEmpty.superRefine(refineWith((s: string) => checkRegex(s, 'js')))).min(1).optional(),
    newest: newestSchema.optional(),
    aliases: z
      .record(z.string(), nonEmpty)
      .superRefine((aliases, ctx) => {
        for (const [alias, target] of Object.entries(aliases)) {
          const a = checkTag(alias);
          if (!a.ok) ctx.addIssue({ code: 'custom', path: [alias], message: `alias ${a.problem}` });
          const t = checkTagOrDigest(target);
          if (!t.ok) ctx.addIssue({ code: 'custom', path: [alias], message: t.problem });
        }
      })
      .optional(),
    platforms: platformsSchema.optional(),
    to: nonEmpty.superRefine(refineWith(checkRepository)).optional(),
  });

  const fileSchema = z.strictObject({
    apiVersion: z.literal(TUGBOAT_API_VERSION),
    kind: z.literal(TUGBOAT_KIND),
    registries: z
      .record(z.string(), registrySchema)
      .superRefine((regs, ctx) => {
        for (const host of Object.keys(regs)) {
          const r = checkRegistryKey(host);
          if (!r.ok) ctx.addIssue({ code: 'custom', path: [host], message: r.problem });
        }
      })
      .optional(),
    destination: nonEmpty.superRefine(refineWith(checkPrefix)).optional(),
    platforms: platformsSchema.optional(),
    mappings: z.array(mappingSchema).optional(),
    images: z.array(imageSchema).min(1),
  });
  /** The keys each object of the file may have, for "did you mean" suggestions. */
  const keys: Record<ObjectKind, readonly string[]> = {
    '': Object.keys(fileSchema.shape),
    registry: Object.keys(registrySchema.shape),
    credentials: ['username', 'passwordEnv', 'passwordFile'],
    mapping: Object.keys(mappingSchema.shape),
    image: Object.keys(imageSchema.shape),
    newest: ['count', 'by'],
  };
  return { file: fileSchema, keys };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
const schemas = (): Schemas => (built ??= buildSchemas());

type FileData = Z.output<Schemas['file']>;
type ImageData = FileData['images'][number];

function checkSourceRef(s: string): Checked<string> {
  try {
    return { ok: true, value: parseReference(s, { defaultTag: false }).toString() };
  } catch (err) {
    return { ok: false, problem: errorText(err) };
  }
}

export interface TugboatFileOptions {
  /** Where `passwordEnv` variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Reads a `passwordFile` (default `fs.readFileSync(path, 'utf8')`); paths are already resolved against the sync file's directory. */
  readFile?: ((path: string) => string) | undefined;
}

/** True when a parsed document declares `kind: SyncConfig` (format detection). */
export function isTugboatDocument(yaml: YamlFile): boolean {
  const kind = yaml.nodeAt(['kind']);
  const api = yaml.nodeAt(['apiVersion']);
  return (isYamlScalar(kind) && kind.value === TUGBOAT_KIND) || (isYamlScalar(api) && typeof api.value === 'string' && api.value.startsWith('tugboat.dev/'));
}

/**
 * Reads a Tugboat sync file into a {@link SyncSpec} (format `tugboat`),
 * resolving `passwordEnv` / `passwordFile` now. Relative `cert-dir` and
 * `passwordFile` paths are taken relative to the sync file's directory.
 * Throws a {@link SyncConfigError} listing every problem as `FILE:LINE: ...`;
 * no message ever contains a password.
 */
export function readTugboatFile(input: ConfigText, options: TugboatFileOptions = {}): SyncSpec {
  const yaml = YamlFile.parse(input);
  keepScalarsAsWritten(yaml);
  const parsed = schemas().file.safeParse(yaml.doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportIssue(yaml, issue);
    yaml.problems.throwIfAny();
    throw new Error('unreachable: zod failed without issues');
  }
  const spec = buildSpec(yaml, parsed.data, options);
  yaml.problems.throwIfAny();
  return spec;
}

/**
 * YAML reads a plain `1.10` as the number 1.1 and `tags: [1.20]` as [1.2];
 * every string field of this file keeps the text as written instead. Only
 * `newest` and `count` are numbers.
 */
function keepScalarsAsWritten(yaml: YamlFile): void {
  visit(yaml.doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'number') return;
      const parent = path.at(-1);
      if (isPair(parent) && parent.value === node && isYamlScalar(parent.key) && (parent.key.value === 'newest' || parent.key.value === 'count')) return;
      const source = (node as { source?: string }).source;
      if (typeof source === 'string' && source !== '') node.value = source;
    },
  });
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(step))) out += out === '' ? String(step) : `.${String(step)}`;
    else out += `[${JSON.stringify(String(step))}]`;
  }
  return out;
}

/** Which object of the file a path points at, for the list of allowed keys. */
function objectKind(path: readonly PropertyKey[]): ObjectKind | undefined {
  const [first, , third] = path;
  if (path.length === 0) return '';
  if (first === 'registries' && path.length === 2) return 'registry';
  if (first === 'registries' && third === 'credentials' && path.length === 3) return 'credentials';
  if (first === 'mappings' && path.length === 2) return 'mapping';
  if (first === 'images' && path.length === 2) return 'image';
  if (first === 'images' && third === 'newest' && path.length === 3) return 'newest';
  return undefined;
}

const EXPECTED_KIND: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function reportIssue(yaml: YamlFile, issue: Z.core.$ZodIssue): void {
  const path = issue.path as PropertyKey[];
  const where = pathText(path);
  const prefix = where === '' ? '' : `${where}: `;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const kind = objectKind(path);
      const allowed = kind === undefined ? [] : schemas().keys[kind];
      for (const key of issue.keys) {
        const line = yaml.lineAt(path, key);
        // The value of a `password:` line is never shown, nor even its key's neighbours.
        if (kind === 'credentials' && key === 'password') yaml.problems.add(line, `${pathText([...path, key])}: ${PASSWORD_REFUSED}`);
        else yaml.problems.add(line, `${prefix}${unknownKeyMessage(key, allowed, '', kind !== 'credentials')}`);
      }
      return;
    }
    case 'invalid_type': {
      const line = yaml.lineAt(path);
      const expected = EXPECTED_KIND[issue.expected] ?? issue.expected;
      if (!yaml.has(path)) {
        const key = path.at(-1);
        const parent = pathText(path.slice(0, -1));
        yaml.problems.add(line, `${parent === '' ? '' : `${parent}: `}missing required key "${String(key)}" (expected ${expected})`);
      } else yaml.problems.add(line, `${prefix}found ${kindOf(yaml.nodeAt(path))} (expected ${expected})`);
      return;
    }
    case 'invalid_value': {
      const expected = issue.values.map((v) => JSON.stringify(v)).join(' or ');
      yaml.problems.add(yaml.lineAt(path), `${prefix}unsupported value (expected ${expected})`);
      return;
    }
    case 'too_small': {
      const what = issue.origin === 'array' ? `the list is empty (expected at least ${String(issue.minimum)} item)` : issue.origin === 'string' ? 'the value is empty (expected a non-empty string)' : `the number is too small (expected ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)})`;
      yaml.problems.add(yaml.lineAt(path), `${prefix}${what}`);
      return;
    }
    case 'invalid_format':
    case 'custom':
    case 'invalid_union':
      yaml.problems.add(yaml.lineAt(path), `${prefix}${issue.message}`);
      return;
    default:
      yaml.problems.add(yaml.lineAt(path), `${prefix}${issue.message.replace(/^Invalid input: /, '')}`);
  }
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
