/**
 * Checks that a run really produced the data set, so a fast but incomplete
 * copy cannot look good: every tag's manifest with the source digest, every
 * instance manifest and every blob, at the destination. Checks happen after
 * the measured window, so their requests are not counted.
 */
import { SOURCE_DIGEST_ANNOTATION } from '../src/oci/convert.ts';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobInfo, TagInfo } from './dataset.ts';

export interface Verdict {
  ok: boolean;
  /** One line: what was checked, or the first few problems. */
  detail: string;
}

/** The manifest types the data set uses, for Accept headers. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function verdict(problems: string[], checked: string): Verdict {
  if (problems.length === 0) return { ok: true, detail: checked };
  return { ok: false, detail: `${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''}` };
}

/**
 * Every tag under `repoOf(tag)` at the registry `baseUrl`: the tag's manifest
 * bytes hash to the source digest, and every instance manifest and blob is
 * there (HEAD).
 */
export async function verifyRegistry(baseUrl: string, tags: TagInfo[], repoOf: (t: TagInfo) => string): Promise<Verdict> {
  const problems: string[] = [];
  const checkedBlobs = new Set<string>();
  for (const t of tags) {
    const repo = repoOf(t);
    const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${t.tag}`, { headers: { accept: MANIFEST_ACCEPT } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) {
      problems.push(`${repo}:${t.tag}: ${res.status}`);
      continue;
    }
    if (sha256(body) !== t.digest) problems.push(`${repo}:${t.tag}: digest ${sha256(body)}, source ${t.digest}`);
    for (const m of t.manifests) {
      const head = await fetch(`${baseUrl}/v2/${repo}/manifests/${m}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      if (head.status !== 200) problems.push(`${repo}@${m}: ${head.status}`);
    }
    for (const b of t.blobs) {
      if (checkedBlobs.has(`${repo}@${b}`)) continue;
      checkedBlobs.add(`${repo}@${b}`);
      const head = await fetch(`${baseUrl}/v2/${repo}/blobs/${b}`, { method: 'HEAD' });
      if (head.status !== 200) problems.push(`${repo} blob ${b.slice(0, 19)}: ${head.status}`);
    }
  }
  return verdict(problems, `${tags.length} tags, their manifests and ${checkedBlobs.size} repo blobs present, digests identical`);
}

function walk(dir: string, visit: (path: string, name: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else visit(path, entry.name);
  }
}

/**
 * skopeo's `dir:` layout, one directory per image: some directory holds a
 * `manifest.json` with the tag's digest, and every blob of the tag as a file
 * named by its hex digest with the right size.
 */
export function verifyDirLayouts(root: string, tags: TagInfo[], blobs: Map<string, BlobInfo>): Verdict {
  const byDigest = new Map<string, string[]>();
  if (existsSync(root)) {
    walk(root, (path, name) => {
      if (name !== 'manifest.json') return;
      const digest = sha256(readFileSync(path));
      const dirs = byDigest.get(digest) ?? [];
      dirs.push(join(path, '..'));
      byDigest.set(digest, dirs);
    });
  }
  const problems: string[] = [];
  for (const t of tags) {
    const dirs = byDigest.get(t.digest);
    if (!dirs) {
      problems.push(`${t.repo}:${t.tag}: no manifest.json with ${t.digest.slice(0, 19)}`);
      continue;
    }
    const complete = dirs.some((d) => t.blobs.every((b) => {
      const path = join(d, b.slice(7));
      return existsSync(path) && statSync(path).size === blobs.get(b)!.size;
    }));
    if (!complete) problems.push(`${t.repo}:${t.tag}: blobs missing or wrong size`);
  }
  return verdict(problems, `${tags.length} tags: manifest.json with the source digest and every blob present`);
}

/**
 * OCI image layouts (any number, anywhere under root): the tag's digest is in
 * some `index.json`, and that layout has every manifest and blob of the tag.
 */
export function verifyOciLayouts(root: string, tags: TagInfo[], blobs: Map<string, BlobInfo>): Verdict {
  // A Docker-typed tag is converted to OCI on the way in (as skopeo does): its entry has a new
  // digest and names the source's in SOURCE_DIGEST_ANNOTATION; configs and layers are the source's.
  const layouts: { dir: string; digests: Set<string>; converted: Map<string, string> }[] = [];
  if (existsSync(root)) {
    walk(root, (path, name) => {
      if (name !== 'index.json' || !existsSync(join(path, '..', 'oci-layout'))) return;
      const index = JSON.parse(readFileSync(path, 'utf8')) as { manifests?: { digest: string; annotations?: Record<string, string> }[] };
      const entries = index.manifests ?? [];
      const converted = new Map<string, string>();
      for (const m of entries) {
        const from = m.annotations?.[SOURCE_DIGEST_ANNOTATION];
        if (from !== undefined) converted.set(from, m.digest);
      }
      layouts.push({ dir: join(path, '..'), digests: new Set(entries.map((m) => m.digest)), converted });
    });
  }
  const problems: string[] = [];
  const blobPath = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.slice(7));
  for (const t of tags) {
    const candidates = layouts.filter((l) => l.digests.has(t.digest) || l.converted.has(t.digest));
    if (candidates.length === 0) {
      problems.push(`${t.repo}:${t.tag}: ${t.digest.slice(0, 19)} in no index.json`);
      continue;
    }
    const manifestsPresent = (l: (typeof layouts)[number]) => {
      const as = l.converted.get(t.digest);
      return as !== undefined ? existsSync(blobPath(l.dir, as)) : t.manifests.every((m) => existsSync(blobPath(l.dir, m)));
    };
    const complete = candidates.some(
      (l) => manifestsPresent(l) && t.blobs.every((b) => existsSync(blobPath(l.dir, b)) && statSync(blobPath(l.dir, b)).size === blobs.get(b)!.size),
    );
    if (!complete) problems.push(`${t.repo}:${t.tag}: manifests or blobs missing in its layout`);
  }
  return verdict(problems, `${tags.length} tags in ${layouts.length} OCI layout(s) with every manifest and blob`);
}
