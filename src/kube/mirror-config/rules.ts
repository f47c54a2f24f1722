/**
 * Helpers the generators share: a rule's names split into host and path,
 * the path a mirror adds in front of the upstream path (if the rule is only
 * that), and the rules reduced to what a prefix-based format needs.
 */
import type { MirrorRule } from '../mapper.ts';
import type { Unexpressed } from './types.ts';

export interface SplitRule {
  rule: MirrorRule;
  fromHost: string;
  /** Path below the host, '' for the whole registry. */
  fromPath: string;
  toHost: string;
  toPath: string;
}

function split(name: string): { host: string; path: string } {
  const slash = name.indexOf('/');
  return slash === -1 ? { host: name, path: '' } : { host: name.slice(0, slash), path: name.slice(slash + 1) };
}

/** `docker.io/openyurt/* -> quanzhenglong.com/edge/*` (`/*` on prefix rules). */
export function ruleText(rule: MirrorRule): string {
  const star = rule.prefix ? '/*' : '';
  return `${rule.from}${star} -> ${rule.to}${star}`;
}

/**
 * The rules, split, without exact rules a prefix rule already maps to the
 * same place (a listed source under a `mappings` rule). Order kept.
 */
export function splitRules(rules: readonly MirrorRule[]): SplitRule[] {
  const prefixes = rules.filter((r) => r.prefix);
  const covered = (r: MirrorRule) =>
    !r.prefix && prefixes.some((p) => r.from.startsWith(`${p.from}/`) && `${p.to}/${r.from.slice(p.from.length + 1)}` === r.to);
  const seen = new Set<string>();
  const out: SplitRule[] = [];
  for (const rule of rules) {
    const key = ruleText(rule);
    if (covered(rule) || seen.has(key)) continue;
    seen.add(key);
    const from = split(rule.from);
    const to = split(rule.to);
    out.push({ rule, fromHost: from.host, fromPath: from.path, toHost: to.host, toPath: to.path });
  }
  return out;
}

/**
 * The path a mirror puts in front of the upstream repository path when the
 * rule does nothing else (`docker.io/openyurt/* -> m/cache/openyurt/*`:
 * `cache`; same path: ''), else undefined (the rule renames).
 */
export function addedPrefix(r: SplitRule): string | undefined {
  if (r.fromPath === '') return r.toPath;
  if (r.toPath === r.fromPath) return '';
  return r.toPath.endsWith(`/${r.fromPath}`) ? r.toPath.slice(0, -(r.fromPath.length + 1)) : undefined;
}

export function unexpressed(r: SplitRule, reason: string, instead: string): Unexpressed {
  return { mapping: ruleText(r.rule), origin: r.rule.origin, reason, instead };
}

/** The upstream endpoint containerd and k3s use for a registry name (Docker Hub's API host differs from its name). */
export function upstreamUrl(host: string): string {
  return host === 'docker.io' ? 'https://registry-1.docker.io' : `https://${host}`;
}

/** TOML basic string. */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}
