/**
 * Scenario e: the no-op re-sync when images carry signatures and referrers
 * (issue 12 item 5's acceptance figure: referrers on may cost at most one
 * more request per tag than off).
 *
 * The shared data set is never written to (it is cached across runs), so a
 * subset of it is first copied (unmeasured) into a source registry of its
 * own, where every other tag gets a cosign signature (`sha256-<hex>.sig`)
 * and an SPDX SBOM referrer (kept in the referrers tag schema, as the stock
 * registry has no referrers API). Each tool then fills its own destination
 * (unmeasured) and the measured runs are the re-syncs: skopeo sync (which
 * carries no referrers), tug sync with referrers (the default) and with
 * --no-referrers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TagInfo } from './dataset.ts';
import type { Verdict } from './verify.ts';
import { verifyRegistry } from './verify.ts';
import { measure } from './measure.ts';
import { cosignSignatureImage, cosignTag, generateCosignKeyPair, pushReferrer, pushSignature, referrerImage } from '../test/support/signing.ts';
import type { TestRegistry } from '../test/support/registry.ts';

/** Repositories of the data set copied into scenario e's source (all their tags): the smallest with more than one tag, to keep the fill short. */
export const REFERRER_REPOS = 4;

/** The signed subset's tags (every other one) and the YAML both tools sync from. */
export interface SignedSet {
  tags: TagInfo[];
  signed: TagInfo[];
  yaml: string;
}

function yamlFor(host: string, tags: TagInfo[]): string {
  const byRepo = new Map<string, string[]>();
  for (const t of tags) byRepo.set(t.repo, [...(byRepo.get(t.repo) ?? []), t.tag]);
  const lines = [`${host}:`, '  tls-verify: false', '  images:'];
  for (const [repo, list] of byRepo) lines.push(`    ${repo}:`, ...list.map((t) => `      - "${t}"`));
  return `${lines.join('\n')}\n`;
}

/**
 * Fills `source` with {@link REFERRER_REPOS} repositories of `all` (copied by `copyArgv`, unmeasured) and signs every other tag.
 */
export async function prepareSignedSource(
  options: { all: TagInfo[]; blobSize: (digest: string) => number; fromHost: string; source: TestRegistry; work: string; copyArgv: (yaml: string, destination: string) => string[]; logFile: string },
): Promise<SignedSet> {
  const weight = (repo: string) => [...new Set(options.all.filter((t) => t.repo === repo).flatMap((t) => t.blobs))].reduce((n, d) => n + options.blobSize(d), 0);
  const count = (repo: string) => options.all.filter((t) => t.repo === repo).length;
  const repos = [...new Set(options.all.map((t) => t.repo))].filter((r) => count(r) > 1).sort((a, b) => weight(a) - weight(b)).slice(0, REFERRER_REPOS);
  const tags = options.all.filter((t) => repos.includes(t.repo));
  const seed = join(options.work, 'e-seed.yaml');
  writeFileSync(seed, yamlFor(options.fromHost, tags));
  // skopeo sync's naming: the last path component under the prefix.
  const copied = await measure(options.copyArgv(seed, `${options.source.host}/e`), { logFile: options.logFile });
  if (copied.exitCode !== 0) throw new Error(`scenario e: filling its source failed (exit ${copied.exitCode}): ${copied.stderrTail.trim().split('\n').pop()}`);
  const moved = tags.map((t) => ({ ...t, repo: `e/${t.repo.split('/').pop()}` }));
  const { privateKey } = generateCosignKeyPair();
  const signed = moved.filter((_, i) => i % 2 === 0);
  for (const t of signed) {
    const target = { url: options.source.url, repository: t.repo };
    await pushSignature(target, t.digest, cosignSignatureImage({ dockerReference: `${options.source.host}/${t.repo}`, manifestDigest: t.digest, privateKey }));
    const top = await fetch(`${options.source.url}/v2/${t.repo}/manifests/${t.digest}`, { method: 'HEAD', headers: { accept: t.mediaType } });
    const size = Number(top.headers.get('content-length'));
    await pushReferrer(target, referrerImage({ subject: { digest: t.digest, size, mediaType: t.mediaType }, artifactType: 'application/spdx+json', content: JSON.stringify({ spdxVersion: 'SPDX-2.3', name: `${t.repo}:${t.tag}` }) }), { fallbackIndex: true });
  }
  const yaml = join(options.work, 'e-sync.yaml');
  writeFileSync(yaml, yamlFor(options.source.host, moved));
  return { tags: moved, signed, yaml };
}

/** The images at `destination` (as `verifyRegistry` checks them) and, with `withReferrers`, every signed tag's `.sig` and SBOM index there. */
export async function verifySigned(destination: TestRegistry, set: SignedSet, repoOf: (t: TagInfo) => string, withReferrers: boolean): Promise<Verdict> {
  const images = await verifyRegistry(destination.url, set.tags, repoOf);
  if (!images.ok || !withReferrers) return images;
  const missing: string[] = [];
  for (const t of set.signed) {
    for (const tag of [cosignTag(t.digest), t.digest.replace(':', '-')]) {
      const res = await fetch(`${destination.url}/v2/${repoOf(t)}/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
      if (res.status !== 200) missing.push(`${repoOf(t)}:${tag}`);
    }
  }
  return missing.length === 0 ? { ok: true, detail: `${images.detail}; ${set.signed.length} signatures and SBOM indexes` } : { ok: false, detail: `${missing.length} artifacts missing: ${missing.slice(0, 3).join(', ')}` };
}
