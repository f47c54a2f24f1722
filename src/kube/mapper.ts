/**
 * Where an image a cluster references lives in the mirror, and back: the
 * sync file's own rules (src/sync/targets.ts `destinationRepository`, the
 * same function `tug sync` names destinations with), so that one file says
 * where images go and how the cluster finds them.
 *
 * Forward: a repository the sync file lists goes where `tug sync` puts it
 * (its `to:`, the first matching mapping, the `destination:` prefix); any
 * other repository is mapped only by a matching `mappings` rule. The
 * destination prefix alone does not pull unlisted images into the mirror,
 * so an unlisted image under a prefix-only file is left alone.
 *
 * Reverse: the inverse of the same rules (a listed source whose destination
 * is this repository, else a `mappings` rule read right to left).
 */
import { TugError } from '../errors/index.ts';
import { parseRepository, Reference } from '../reference/index.ts';
import { checkPrefix, checkRepository } from '../sync/config/values.ts';
import type { MappingRule, SyncSource, SyncSpec } from '../sync/spec.ts';
import { destinationRepository, type TargetOptions } from '../sync/targets.ts';

/** Repository-name mapping in both directions (names without tag: `docker.io/openyurt/yurthub`). */
export interface Mapper {
  /** The mirror repository of an upstream repository; undefined = not mirrored by these rules. */
  forward(repository: string): string | undefined;
  /** The upstream repository of a mirror repository; undefined = not a mirror name of these rules. */
  reverse(repository: string): string | undefined;
  /**
   * Every rule as a pair of repository names or prefixes (`/*` suffix on
   * both = prefix rule), listed sources first, then `mappings`: what the
   * node-config generators express.
   */
  readonly rules: readonly MirrorRule[];
}

/** One mapping the cluster side must express: `from` -> `to`, both repositories, or both prefixes with `prefix: true`. */
export interface MirrorRule {
  from: string;
  to: string;
  prefix: boolean;
  /** `file:line` of the rule, for warnings. */
  origin: string;
}

function originText(o: { file: string; line: number }): string {
  return `${o.file}:${o.line}`;
}

function matchPrefix(rule: MappingRule, repository: string): string | undefined {
  return destinationRepositoryOrUndefined({ repository, filter: {}, origin: rule.origin }, [rule]);
}

function destinationRepositoryOrUndefined(source: SyncSource, mappings: readonly MappingRule[], options: TargetOptions = {}): string | undefined {
  try {
    return destinationRepository(source, mappings, options);
  } catch (err) {
    if (err instanceof TugError && err.code === 'USAGE') return undefined;
    throw err;
  }
}

/**
 * The {@link Mapper} of a sync file (any format `tug sync` reads).
 * `options` are `tug sync`'s DESTINATION and `--scoped`, for formats whose
 * destination comes from the command line (skopeo YAML, image lists); the
 * file's own `destination:` is the default prefix.
 */
export function mapperFromSpec(spec: SyncSpec, options: TargetOptions = {}): Mapper {
  const target: TargetOptions = { prefix: options.prefix ?? spec.destination, scoped: options.scoped };
  const listed = new Map<string, string>();
  const rules: MirrorRule[] = [];
  for (const s of spec.sources) {
    if (s.image !== undefined || listed.has(s.repository)) continue;
    const to = destinationRepositoryOrUndefined(s, spec.mappings, target);
    if (to === undefined) continue;
    listed.set(s.repository, to);
    rules.push({ from: s.repository, to, prefix: false, origin: originText(s.origin) });
  }
  for (const m of spec.mappings) {
    const prefix = m.from.endsWith('/*');
    rules.push({ from: m.from.replace(/\/\*$/, ''), to: m.to.replace(/\/\*$/, ''), prefix, origin: originText(m.origin) });
  }
  return {
    rules,
    forward(repository) {
      const hit = listed.get(repository);
      if (hit !== undefined) return hit;
      for (const m of spec.mappings) {
        const to = matchPrefix(m, repository);
        if (to !== undefined) return to;
      }
      return undefined;
    },
    reverse(repository) {
      for (const [from, to] of listed) if (to === repository) return from;
      for (const m of spec.mappings) {
        // Read the rule right to left; the same matcher, so the inverse cannot drift from the forward rule.
        const from = m.from.endsWith('/*') && !m.to.endsWith('/*') ? `${m.to}/*` : m.to;
        const back = matchPrefix({ from, to: m.from, origin: m.origin }, repository);
        if (back !== undefined) return back;
      }
      return undefined;
    },
  };
}

/**
 * `--map FROM=TO` flags as mapping rules, normalised as the sync file's
 * `mappings` are (docs/sync-file.md): `openyurt/*=registry.example.com/edge/*`
 * or one repository `nginx=registry.example.com/web/nginx`.
 */
export function mappingRulesFromFlags(flags: readonly string[]): MappingRule[] {
  return flags.map((flag, i) => {
    const eq = flag.indexOf('=');
    const origin = { file: '--map', line: i + 1 };
    if (eq <= 0 || eq === flag.length - 1) throw new TugError('USAGE', `--map "${flag}" is not FROM=TO`, { hint: 'e.g. --map "docker.io/openyurt/*=registry.example.com/edge/*"' });
    const fromText = flag.slice(0, eq).trim();
    const toText = flag.slice(eq + 1).trim();
    const wild = fromText.endsWith('/*');
    if (toText.endsWith('/*') && !wild) throw new TugError('USAGE', `--map "${flag}": TO ends in /* but FROM does not`, { hint: 'end both in /* for a prefix, or neither for one repository' });
    const from = wild ? checkPrefix(fromText.slice(0, -2)) : checkRepository(fromText);
    const to = checkPrefix(toText.replace(/\/\*$/, ''));
    if (!from.ok) throw new TugError('USAGE', `--map "${flag}": ${from.problem}`);
    if (!to.ok) throw new TugError('USAGE', `--map "${flag}": ${to.problem}`);
    return { from: wild ? `${from.value}/*` : from.value, to: wild ? `${to.value}/*` : to.value, origin };
  });
}

/** A {@link Mapper} from `--map` rules alone. */
export function mapperFromRules(mappings: MappingRule[]): Mapper {
  return mapperFromSpec({ files: ['--map'], format: 'tugboat', sources: [], mappings, registries: {} });
}

/**
 * One image through a {@link Mapper}: the same tag and digest under the
 * mapped repository, or undefined when the rules do not cover it.
 */
export function mapImage(mapper: Mapper, ref: Reference, direction: 'forward' | 'reverse'): Reference | undefined {
  const name = direction === 'forward' ? mapper.forward(ref.name) : mapper.reverse(ref.name);
  if (name === undefined || name === ref.name) return undefined;
  const target = parseRepository(name);
  return Reference.from({ registry: target.registry, repository: target.repository, tag: ref.tag, digest: ref.digest });
}
