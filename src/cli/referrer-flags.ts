/**
 * The flags of `tug copy` and `tug sync` that choose what travels with an
 * image (signatures, attestations, SBOMs, OCI referrers): one group, one
 * parser into the engine's `CopyOptions.referrers`, one summary line.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { CopyResult } from '../copy/copy.ts';
import { ARTIFACT_TYPE_ALIASES, type ReferrerFilter } from '../copy/referrers.ts';
import { TugError } from '../errors/index.ts';

/** Declares --referrers, --no-referrers and --remove-signatures on `cmd`. */
export function addReferrerFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--referrers <types>', `carry only these artifact types with each image: media types, or ${Object.keys(ARTIFACT_TYPE_ALIASES).join(', ')} (default: every signature, attestation, SBOM and OCI referrer)`)
    .option('--no-referrers', 'carry no signatures, attestations, SBOMs or referrers with the image')
    .option('--remove-signatures', 'do not carry signatures (cosign .sig tags, sigstore bundles); other referrers still travel');
}

/** What {@link addReferrerFlags} parses to. */
export interface ReferrerFlagValues {
  referrers?: string | boolean | undefined;
  removeSignatures?: boolean | undefined;
}

/** A media type as RFC 6838 writes one (`type/subtype+suffix`, parameters allowed). */
const MEDIA_TYPE = /^[A-Za-z0-9][\w!#$&^.+-]{0,126}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}(;.{1,200})?$/;

/**
 * The engine's filter from the flags: `false` for --no-referrers, else the
 * artifact types (aliases expanded) and --remove-signatures. Throws USAGE
 * for a type that is neither an alias nor a media type.
 */
export function referrerFilter(opts: ReferrerFlagValues): ReferrerFilter | false {
  if (opts.referrers === false) return false;
  const filter: ReferrerFilter = { removeSignatures: opts.removeSignatures === true };
  if (typeof opts.referrers === 'string') {
    const types: string[] = [];
    for (const raw of opts.referrers.split(',')) {
      const name = raw.trim();
      const alias = ARTIFACT_TYPE_ALIASES[name];
      if (alias) types.push(...alias);
      else if (MEDIA_TYPE.test(name)) types.push(name);
      else {
        throw new TugError('USAGE', `--referrers: ${JSON.stringify(name.slice(0, 80))} is not an artifact type`, {
          hint: `give media types (application/spdx+json) or ${Object.keys(ARTIFACT_TYPE_ALIASES).join(', ')}, comma-separated`,
        });
      }
    }
    filter.artifactTypes = types;
  }
  return filter;
}

/** The summary line of a copy's carried artifacts, if any. */
export function referrerSummary(result: Pick<CopyResult, 'referrers'>): string[] {
  const carried = result.referrers?.carried ?? [];
  if (carried.length === 0) return [];
  const copied = carried.filter((c) => c.outcome === 'copied').length;
  return [`  referrers: ${copied} copied, ${carried.length - copied} already there (${[...new Set(carried.map((c) => c.artifactType))].join(', ')})`];
}
