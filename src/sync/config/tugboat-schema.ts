/**
 * The shape of Tugboat's sync file (docs/sync-file.md) as zod schemas, and
 * how the schema's issues become `FILE:LINE: ...` problems with "did you
 * mean" suggestions. tugboat-file.ts turns the checked data into a SyncSpec.
 * zod loads, and the schemas are built, only when a Tugboat file is read.
 */
import { storedProxyProblem } from '../../context/proxy-setting.ts';
import { createRequire } from 'node:module';
import { visit, isPair, isScalar as isYamlScalar } from 'yaml';
import type * as Z from 'zod';
import { errorText } from '../../errors/index.ts';
import { parseReference } from '../../reference/index.ts';
import { kindOf, unknownKeyMessage, type YamlFile } from './config-file.ts';
import { checkPlatform, checkPrefix, checkRegex, checkRegistryKey, checkRepository, checkSemverRange, checkTag, checkTagOrDigest, type Checked } from './values.ts';

export const TUGBOAT_API_VERSION = 'tugboat.dev/v1alpha1';
export const TUGBOAT_KIND = 'SyncConfig';

const PASSWORD_REFUSED =
  'a plaintext password is not allowed in a sync file (expected passwordEnv: VARIABLE, read from the environment, or passwordFile: PATH, read from a file)';
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A registry's `proxy`: see context/proxy-setting.ts. */
function checkSyncProxy(text: string): Checked<string> {
  const problem = storedProxyProblem(text);
  return problem === undefined ? { ok: true, value: text } : { ok: false, problem: `proxy ${problem}` };
}

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
    proxy: nonEmpty.superRefine(refineWith(checkSyncProxy)).optional(),
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

export type FileData = Z.output<Schemas['file']>;
export type ImageData = FileData['images'][number];

function checkSourceRef(s: string): Checked<string> {
  try {
    return { ok: true, value: parseReference(s, { defaultTag: false }).toString() };
  } catch (err) {
    return { ok: false, problem: errorText(err) };
  }
}

/**
 * The file's data checked against the schema, every problem recorded on
 * `yaml.problems` and thrown at once (a SyncConfigError). Scalars keep the
 * text as written (see keepScalarsAsWritten).
 */
export function checkTugboatData(yaml: YamlFile): FileData {
  keepScalarsAsWritten(yaml);
  const parsed = schemas().file.safeParse(yaml.doc.toJS());
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) reportIssue(yaml, issue);
  yaml.problems.throwIfAny();
  throw new Error('unreachable: zod failed without issues');
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

/** A zod path as the file spells it: `images[0].aliases.latest`. */
export function pathText(path: readonly PropertyKey[]): string {
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
