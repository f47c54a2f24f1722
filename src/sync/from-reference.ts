/**
 * `tug sync --src docker REPOSITORY[:TAG]`: a one-source job, as skopeo
 * sync's docker source (a repository means every tag; with a tag, that tag).
 */
import { parseReference } from '../reference/reference.ts';
import type { SyncSpec } from './spec.ts';

export function specFromReference(input: string): SyncSpec {
  const ref = parseReference(input.replace(/^docker:\/\//, ''), { defaultTag: false });
  const pinned = ref.digest ?? ref.tag;
  return {
    files: [],
    format: 'list',
    sources: [{ repository: ref.name, filter: pinned ? { tags: [pinned] } : {}, origin: { file: '<command line>', line: 1 } }],
    mappings: [],
    registries: {},
  };
}
