/** Documents from the service's contract (quoted in docs/contract.md), used as written by more than one test. */

/** Example 1 of the seed: a Repository of library/nginx:latest from the harbor-prod Registry, synced hourly. */
export const SEED_REPOSITORY_EXAMPLE = `apiVersion: image.theriseunion.io/v1alpha1
kind: Repository
metadata:
  name: nginx-latest
  namespace: default
  annotations:
    theriseunion.io/display-name: "Nginx 最新版本"
    theriseunion.io/description: "Nginx web 服务器最新版本"
spec:
  repository: "library/nginx"
  tag: "latest"
  registryRef:
    name: harbor-prod
    namespace: "default"
  syncInterval: "1h"
`;
