/** Query keys in one place, so a mutation invalidates exactly what a query caches. */
export const keys = {
  me: ['whoami'] as const,
  registries: ['registries'] as const,
  namespaces: ['namespaces'] as const,
  pullSecret: (ns: string, name: string, secretName: string, kubeNamespace: string) => ['pull-secret', ns, name, secretName, kubeNamespace] as const,
  /** Every list of repositories (for invalidating them all). */
  repoLists: ['repositories', 'list'] as const,
  repoList: (ns: string | undefined, q: string, fieldSelector = '') => ['repositories', 'list', ns ?? '', q, fieldSelector] as const,
  repo: (ns: string, name: string) => ['repositories', 'one', ns, name] as const,
  runs: (ns: string, name: string) => ['syncruns', ns, name] as const,
  runLog: (ns: string, repo: string, run: string) => ['runlog', ns, repo, run] as const,
};
