/**
 * The tags tab's data: the image's tags at the source, a page at a time
 * (each page is described at the source, so only what is scrolled to is
 * read).
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { listSourceTags } from '../api/tags.ts';

/** Kept beside its hook (not in queryKeys.ts): only the tags tab reads it, and a follow invalidates it. */
export const sourceTagsKey = (ns: string, name: string) => ['source-tags', ns, name] as const;

export function useSourceTags(namespace: string, name: string, options: { enabled: boolean }) {
  return useInfiniteQuery({
    queryKey: sourceTagsKey(namespace, name),
    queryFn: ({ pageParam, signal }) => listSourceTags(namespace, name, { continue: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.metadata.continue,
    enabled: options.enabled,
    // Describing a page reads the source: not again on every tab switch.
    staleTime: 60_000,
  });
}
