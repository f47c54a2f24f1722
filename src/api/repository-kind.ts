/**
 * The Repository kind: one image tag at a Registry, synced on an interval
 * (docs/contract.md). Its registry, path and tag are immutable; a PATCH may
 * change only the display name and description annotations.
 */
import { createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Semver from 'semver';
import { z } from 'zod';
import type { Cause, ResourceKind } from './kinds.ts';
import { parsePlatform } from '../oci/platform.ts';
import { jsonEqual } from './merge-patch.ts';
import { DEFAULT_RETRY_COUNT, DEFAULT_SYNC_INTERVAL, DEFAULT_SYNC_TIMEOUT, repositorySchema, repositorySpecSchema } from './schema.ts';
import { DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, MAX_FOLLOWED_TAGS, type Repository } from './types.ts';

const IMMUTABLE_HINT = 'field is immutable: delete and re-create the Repository to change the registry, path or tag';
const PATCHABLE_ANNOTATIONS = new Set([DISPLAY_NAME_ANNOTATION, DESCRIPTION_ANNOTATION]);

/**
 * Why `pem` is not a public key cosign verifies with (SPKI PEM of ECDSA, RSA
 * or Ed25519, as cosign.pub); undefined when it is. A private key is refused
 * so that a secret never lands in a spec (specs are not encrypted).
 */
export function publicKeyProblem(pem: string): string | undefined {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return 'is a private key: give the public key (cosign.pub); a private key must never be stored here';
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) return 'must be a PEM public key ("-----BEGIN PUBLIC KEY-----", as cosign.pub)';
  try {
    const type = createPublicKey({ key: pem, format: 'pem' }).asymmetricKeyType;
    return type === 'ec' || type === 'rsa' || type === 'ed25519' ? undefined : `is a ${type ?? 'unknown'} key: cosign signs with ECDSA, RSA or Ed25519`;
  } catch {
    return 'is not a readable public key';
  }
}

/** `spec.signature` (RepositorySignatureSpec): 1 to 8 PEM public keys, each checked. */
const signatureSpecSchema = z.strictObject({
  require: z.boolean().optional(),
  publicKeys: z
    .array(
      z
        .string()
        .max(16 * 1024)
        .superRefine((s, ctx) => {
          const problem = publicKeyProblem(s);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .min(1, 'give at least one public key (the PEM of cosign.pub)')
    .max(8),
});

/** `spec.platforms`: 1 to 16 distinct `os/arch[/variant]`. */
const platformsSchema = z
  .array(
    z.string().max(80).superRefine((s, ctx) => {
      try {
        parsePlatform(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8` });
      }
    }),
  )
  .min(1, 'name at least one platform, or leave platforms out for all of them')
  .max(16)
  .refine((list) => new Set(list.map((p) => p.toLowerCase())).size === list.length, 'lists a platform twice');

const TAG = /^[\w][\w.-]{0,127}$/;
const requireLazily = createRequire(import.meta.url);

/**
 * Why `source` is not a regular expression a sync may run over tag names;
 * undefined when it is. Besides syntax, nested quantifiers (`(a+)+`) are
 * refused: the scheduler runs the pattern on its event loop, and such a
 * pattern can backtrack for minutes on one 128-character tag.
 */
export function tagRegexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
  } catch (err) {
    return `is not a regular expression: ${(err instanceof Error ? err.message : String(err)).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`;
  }
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/.test(source)) return 'nests a quantifier inside a repeated group (as in "(a+)+"), which can run for minutes on one tag: write it without the nesting';
  return undefined;
}

const tagRegexSchema = z
  .string()
  .min(1)
  .max(256)
  .superRefine((s, ctx) => {
    const problem = tagRegexProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** `spec.tags` (RepositoryTagsSpec): bounded, each field checked with its own message. */
const tagsSpecSchema = z
  .strictObject({
    list: z
      .array(z.string().regex(TAG, 'must be a tag: up to 128 characters of [A-Za-z0-9_.-], not starting with "." or "-"'))
      .max(100, 'at most 100 tags by name: use regex, semver or newest for more')
      .refine((l) => new Set(l).size === l.length, 'lists a tag twice')
      .optional(),
    regex: tagRegexSchema.optional(),
    semver: z
      .string()
      .min(1)
      .max(256)
      .refine((r) => (requireLazily('semver') as typeof Semver).validRange(r) !== null, 'is not a semver range: expected one such as ">=1.6.0 <1.7.0", "~1.6" or "1.6.x"')
      .optional(),
    exclude: z.array(tagRegexSchema).min(1).max(20).optional(),
    newest: z
      .strictObject({
        count: z.number({ error: 'count must be a whole number from 1 to 100' }).int('count must be a whole number from 1 to 100').min(1, 'count must be at least 1').max(MAX_FOLLOWED_TAGS, `count must be at most ${MAX_FOLLOWED_TAGS} (the tags one sync follows)`),
        by: z.enum(['semver', 'created'], { error: 'by must be semver (tags as versions) or created (the image\'s creation time)' }).optional(),
      })
      .optional(),
  })
  .superRefine((t, ctx) => {
    // exclude narrows what a filter selected; alone it would follow every tag at the source but a few.
    if (t.exclude && t.regex === undefined && t.semver === undefined && t.newest === undefined) {
      ctx.addIssue({ code: 'custom', path: ['exclude'], message: 'exclude narrows regex, semver or newest: give one of them too' });
    }
  });

/** Seed 004's wording for a bad mode, as `oc import-image --import-mode` answers. */
const importModeSchema = z.enum(['Legacy', 'PreserveOriginal'], { error: 'valid importMode values are Legacy or PreserveOriginal' });

export const repositoryKind: ResourceKind<Repository> = {
  kind: 'Repository',
  plural: 'repositories',
  listKind: 'RepositoryList',
  shortNames: ['repository', 'repo', 'repos'],
  schema: repositorySchema.extend({
    spec: repositorySpecSchema
      .extend({ signature: signatureSpecSchema.optional(), importMode: importModeSchema.optional(), platforms: platformsSchema.optional(), tags: tagsSpecSchema.optional() })
      .superRefine((spec, ctx) => {
        // Followed tags go to the mirror under their own names: one named like spec.mirror.tag would overwrite spec.tag's copy.
        const mirrorTag = spec.mirror?.tag;
        const i = mirrorTag !== undefined && mirrorTag !== spec.tag ? (spec.tags?.list ?? []).indexOf(mirrorTag) : -1;
        if (i >= 0) ctx.addIssue({ code: 'custom', path: ['tags', 'list', i], message: `"${mirrorTag}" is spec.mirror.tag, where spec.tag's copy goes in the mirror: following it would overwrite that copy` });
      }),
  }),
  searchText: (r) => `${r.spec.repository}:${r.spec.tag}`,
  selectableFields: ['status.syncStatus', 'status.health.state', 'spec.registryRef.namespace', 'spec.registryRef.name', 'spec.mirror.registryRef.name'],
  columns: [
    { name: 'DISPLAY NAME', value: (r) => r.metadata.annotations?.[DISPLAY_NAME_ANNOTATION] ?? '' },
    { name: 'REGISTRY', value: (r) => r.status?.domain ?? r.spec.registryRef.name },
    { name: 'IMAGE', value: (r) => `${r.spec.repository}:${r.spec.tag}`, jsonPath: '.spec.repository' },
    { name: 'STATUS', value: (r) => r.status?.syncStatus ?? 'Pending', jsonPath: '.status.syncStatus' },
    { name: 'LAST SYNCED', type: 'date', value: (r) => r.status?.lastSynced, jsonPath: '.status.lastSynced' },
    { name: 'SIGNED', value: (r) => r.status?.signature?.signed ?? (r.spec.signature ? '' : 'not-checked') },
    { name: 'DIGEST', wide: true, value: (r) => r.status?.observedDigest?.slice(0, 19), jsonPath: '.status.observedDigest' },
    { name: 'ARCH', wide: true, value: (r) => (r.status?.platforms ?? []).map((p) => `${p.architecture}${p.variant ? `/${p.variant}` : ''}`).join(',') || undefined },
    { name: 'SIZE', wide: true, value: (r) => r.status?.manifest?.size },
    { name: 'NEXT SYNC', wide: true, value: (r) => r.status?.nextSyncTime },
    { name: 'MESSAGE', wide: true, value: (r) => r.status?.message ?? '' },
  ],
  defaults(obj) {
    const ns = obj.metadata.namespace;
    const spec = { ...obj.spec };
    spec.registryRef = { name: spec.registryRef.name, namespace: spec.registryRef.namespace ?? ns };
    spec.syncInterval ??= DEFAULT_SYNC_INTERVAL;
    spec.syncTimeout ??= DEFAULT_SYNC_TIMEOUT;
    spec.retryCount ??= DEFAULT_RETRY_COUNT;
    if (spec.mirror) spec.mirror = { ...spec.mirror, registryRef: { name: spec.mirror.registryRef.name, namespace: spec.mirror.registryRef.namespace ?? ns } };
    return { ...obj, spec };
  },
  references(obj) {
    const refs = [{ field: 'spec.registryRef.namespace', namespace: obj.spec.registryRef.namespace ?? obj.metadata.namespace }];
    if (obj.spec.mirror) refs.push({ field: 'spec.mirror.registryRef.namespace', namespace: obj.spec.mirror.registryRef.namespace ?? obj.metadata.namespace });
    return refs;
  },
  checkEdit(old, next, patch) {
    const causes: Cause[] = [];
    for (const field of ['repository', 'tag', 'registryRef'] as const) {
      if (!jsonEqual(old.spec[field], next.spec[field])) causes.push({ reason: 'FieldValueForbidden', message: IMMUTABLE_HINT, field: `spec.${field}` });
    }
    if (patch === undefined) return causes;
    const before = old.metadata.annotations ?? {};
    const after = next.metadata.annotations ?? {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[k] === after[k] || PATCHABLE_ANNOTATIONS.has(k)) continue;
      causes.push({
        reason: 'FieldValueForbidden',
        message: `PATCH may change only the ${DISPLAY_NAME_ANNOTATION} and ${DESCRIPTION_ANNOTATION} annotations; replace the object with PUT to change others`,
        field: `metadata.annotations[${k}]`,
      });
    }
    return causes;
  },
};
