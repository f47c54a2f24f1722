/**
 * Checks and normalisations shared by every sync-file reader. Each returns
 * the normalised value or throws / returns a one-line problem that the
 * reader reports at the offending line. Names go through the reference
 * parser, so `busybox` everywhere means `docker.io/library/busybox`.
 */
import { isDigest, isValidTag, parseReference, parseRepository } from '../../reference/index.ts';
import { errorText } from '../../errors/index.ts';
import { semver } from '../semver.ts';

/** The outcome of a check: the value, or why it is not one. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(problem: string): Checked<T> => ({ ok: false, problem });

/** A repository name, fully qualified (`docker.io/library/busybox`); no tag or digest allowed. */
export function checkRepository(input: string): Checked<string> {
  try {
    return ok(parseRepository(input).name);
  } catch (err) {
    return bad(errorText(err));
  }
}

/**
 * A repository prefix (`quanzhenglong.com/edge`, `docker.io/openyurt`,
 * `registry.example.com`). Unlike a repository, a one-word Docker Hub prefix
 * is a namespace (`openyurt` -> `docker.io/openyurt`), not `library/openyurt`.
 */
export function checkPrefix(input: string): Checked<string> {
  const trimmed = input.replace(/\/+$/, '');
  const expected = `(expected host[:port][/path] such as registry.example.com/edge)`;
  const path = trimmed.includes('/') ? trimmed.slice(trimmed.indexOf('/') + 1) : '';
  if (trimmed === '' || /[:@]/.test(path)) return bad(`"${input}" is not a repository prefix ${expected}`);
  try {
    // Two throw-away components keep parseReference from adding `library/`.
    const ref = parseReference(`${trimmed}/x/y`, { defaultTag: false });
    if (ref.tag !== undefined || ref.digest !== undefined) return bad(`"${input}" is not a repository prefix ${expected}`);
    return ok(ref.name.slice(0, -'/x/y'.length));
  } catch {
    return bad(`"${input}" is not a repository prefix ${expected}`);
  }
}

/**
 * A key of a registry-settings map: `host[:port]`, optionally with a
 * namespace (`quay.io/coreos`, as image-syncer and containers-auth.json(5)
 * allow; the most specific key wins). Docker Hub's other names become `docker.io`.
 */
export function checkRegistryKey(input: string): Checked<string> {
  const expected = '(expected a registry host such as registry.example.com or localhost:5000)';
  const key = input.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const slash = key.indexOf('/');
  const host = slash === -1 ? key : key.slice(0, slash);
  if (!(host.includes('.') || host.includes(':') || host === 'localhost' || host.startsWith('['))) {
    return bad(`"${input}" is not a registry host ${expected}`);
  }
  const prefix = checkPrefix(host.toLowerCase() === 'registry.hub.docker.com' ? `docker.io${key.slice(host.length)}` : key);
  return prefix.ok ? prefix : bad(`"${input}" is not a registry host ${expected}`);
}

/** A tag (`v1.6.0`) or a digest (`sha256:<64 hex>`). */
export function checkTagOrDigest(input: string): Checked<string> {
  if (isValidTag(input) || isDigest(input)) return ok(input);
  if (/^sha(256|512):/.test(input)) return bad(`"${input}" is not a valid digest (expected sha256:<64 lower-case hex> or sha512:<128 lower-case hex>)`);
  return bad(`"${input}" is not a valid tag (expected [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} or a digest sha256:...)`);
}

export function checkTag(input: string): Checked<string> {
  return isValidTag(input) ? ok(input) : bad(`"${input}" is not a valid tag (expected [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
}

/**
 * A regular expression for tags. skopeo and image-syncer are Go programs, so
 * their files use RE2 syntax; the two spellings JavaScript lacks are
 * translated: a leading flag group `(?i)` becomes the modifier group
 * `(?i:...)`, and `(?P<name>` becomes `(?<name>`. Not anchored: skopeo
 * matches anywhere in the tag, as Go's MatchString does.
 */
export function checkRegex(input: string, dialect: 'go' | 'js'): Checked<string> {
  let source = input;
  if (dialect === 'go') {
    source = source.replace(/\(\?P</g, '(?<');
    const flags = /^\(\?([ims]+)\)/.exec(source);
    if (flags) source = `(?${flags[1]}:${source.slice(flags[0].length)})`;
  }
  try {
    new RegExp(source);
    return ok(source);
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return bad(`invalid regular expression "${input}": ${why} (expected a ${dialect === 'go' ? 'Go RE2' : 'JavaScript'} regular expression)`);
  }
}

/**
 * A semver range in node-semver syntax (`>=1.6.0 <1.7.0`, `~1.6`, `1.6.x`,
 * `1.2 - 1.4`, `^1 || ^2`). From skopeo files (Masterminds/semver syntax) a
 * comma, which means AND there, becomes a space, and a list of ranges is
 * joined with `||` as skopeo ORs them.
 */
export function checkSemverRange(input: string | string[], dialect: 'masterminds' | 'node'): Checked<string> {
  const parts = (Array.isArray(input) ? input : [input]).map((r) => (dialect === 'masterminds' ? r.replace(/\s*,\s*/g, ' ') : r).trim());
  const shown = Array.isArray(input) ? input.join('", "') : input;
  if (parts.some((p) => p === '')) return bad(`empty semver range (expected a range such as ">=1.6.0 <1.7.0")`);
  for (const p of parts) {
    if (semver().validRange(p) === null) return bad(`invalid semver range "${shown}" (expected a range such as ">=1.6.0 <1.7.0", "~1.6" or "1.6.x")`);
  }
  // `||` binds loosest in node-semver, so joining AND-ranges with it ORs them as wholes.
  return ok(parts.join(' || '));
}

const PLATFORM_RE = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

/** `os/arch[/variant]` as in an OCI index (`linux/amd64`, `linux/arm/v7`). */
export function checkPlatform(input: string): Checked<string> {
  return PLATFORM_RE.test(input) ? ok(input) : bad(`"${input}" is not a platform (expected os/arch[/variant] such as linux/amd64 or linux/arm/v7, or "all")`);
}

/** The environment variable names a `${VAR}` / `$VAR` value refers to, if the whole value is such a reference. */
export function envReference(value: string): string | undefined {
  const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}
