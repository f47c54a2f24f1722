/**
 * Where each source repository goes. Pure: the same inputs always give the
 * same destination names, which is what makes a dry run equal the real run.
 *
 * Precedence: a source's explicit destination, then the first matching
 * mapping rule, then the destination prefix (skopeo's rule: the last path
 * component of the source, or with `scoped` the whole source name).
 */
import { TugError } from '../errors/index.ts';
import type { MappingRule, SyncSource } from './spec.ts';

export interface TargetOptions {
  /** Default destination prefix, e.g. `registry.example.com/edge` (skopeo sync's DESTINATION). */
  prefix?: string | undefined;
  /** skopeo's --scoped: keep the full source name under the prefix. */
  scoped?: boolean | undefined;
}

function matchRule(rule: MappingRule, repository: string): string | undefined {
  if (rule.from.endsWith('/*')) {
    const base = rule.from.slice(0, -2);
    if (!repository.startsWith(`${base}/`)) return undefined;
    const rest = repository.slice(base.length + 1);
    const to = rule.to.endsWith('/*') ? rule.to.slice(0, -2) : rule.to;
    return `${to}/${rest}`;
  }
  return repository === rule.from ? rule.to.replace(/\/\*$/, '') : undefined;
}

/** The destination repository (no tag) for a source repository. */
export function destinationRepository(source: SyncSource, mappings: readonly MappingRule[], options: TargetOptions): string {
  if (source.destination) return source.destination;
  for (const rule of mappings) {
    const hit = matchRule(rule, source.repository);
    if (hit) return hit;
  }
  if (!options.prefix) {
    throw new TugError('USAGE', `no destination for ${source.repository} (${source.origin.file}:${source.origin.line})`, {
      hint: 'give a destination on the command line, or a mapping / destination in the sync file',
    });
  }
  const prefix = options.prefix.replace(/\/+$/, '');
  const suffix = options.scoped ? source.repository : source.repository.slice(source.repository.lastIndexOf('/') + 1);
  return `${prefix}/${suffix}`;
}
