/** The console's URLs, built in one place (the routes table in routes.tsx matches them). */
export const paths = {
  login: '/login',
  repositories: '/repositories',
  repository: (r: { metadata: { namespace: string; name: string } }) => `/repositories/${encodeURIComponent(r.metadata.namespace)}/${encodeURIComponent(r.metadata.name)}`,
  registries: '/registries',
  /** 批量添加 (`?ns=` preselects the target namespace). */
  repositoriesImport: '/repositories/import',
  adminTokens: '/admin/tokens',
  adminAudit: '/admin/audit',
  /** A namespace's webhooks (`?namespace=`): editors and admins. */
  webhooks: '/webhooks',
  overview: '/overview',
  storage: '/storage',
};
