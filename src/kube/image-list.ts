/**
 * The images found in manifests and values, written as what `tug sync`
 * reads (src/sync/config): a plain image list, or a Tugboat sync file with
 * one entry per repository and its tags.
 */
import { stringify } from 'yaml';
import type { Reference } from '../reference/index.ts';
import { TUGBOAT_API_VERSION, TUGBOAT_KIND } from '../sync/config/tugboat-schema.ts';

/** One reference per line, fully qualified, in first-seen order (the `list` format). */
export function imageListText(refs: readonly Reference[]): string {
  const lines = [...new Set(refs.map((r) => r.toString()))];
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * A Tugboat sync file (docs/sync-file.md) for these images: one `images`
 * entry per repository with its tags (`latest` when an image names none;
 * a digest as `sha256:...`; `tag@digest` as `source: repo:tag@digest`), and
 * `destination` when given.
 */
export function syncFileText(refs: readonly Reference[], options: { destination?: string | undefined; comment?: string | undefined } = {}): string {
  const byRepo = new Map<string, string[]>();
  const pinned: { source: string }[] = [];
  for (const r of refs) {
    if (r.tag !== undefined && r.digest !== undefined) {
      if (!pinned.some((p) => p.source === r.toString())) pinned.push({ source: r.toString() });
      continue;
    }
    const tags = byRepo.get(r.name) ?? [];
    const t = r.digest ?? r.tag ?? 'latest';
    if (!tags.includes(t)) tags.push(t);
    byRepo.set(r.name, tags);
  }
  const doc: Record<string, unknown> = { apiVersion: TUGBOAT_API_VERSION, kind: TUGBOAT_KIND };
  if (options.destination) doc.destination = options.destination;
  doc.images = [...[...byRepo].map(([source, tags]) => ({ source, tags })), ...pinned];
  const head = options.comment ? `${options.comment.split('\n').map((l) => `# ${l}`).join('\n')}\n` : '';
  return head + stringify(doc, { lineWidth: 0, flowCollectionPadding: false, collectionStyle: 'any' });
}
