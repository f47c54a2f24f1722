/**
 * The Registry kind: where images live, with write-only credentials
 * (`password` / `token` are accepted, stored encrypted by the server, and
 * never returned: responses carry `hasPassword` / `hasToken`).
 */
import type { ResourceKind } from './kinds.ts';
import { registrySchema } from './schema.ts';
import type { Registry } from './types.ts';

const yesNo = (v: boolean | undefined) => (v === undefined ? undefined : String(v));

export const registryKind: ResourceKind<Registry> = {
  kind: 'Registry',
  plural: 'registries',
  listKind: 'RegistryList',
  shortNames: ['registry', 'reg'],
  schema: registrySchema,
  searchText: (r) => r.spec.url,
  columns: [
    { name: 'URL', value: (r) => r.spec.url, jsonPath: '.spec.url' },
    { name: 'USERNAME', value: (r) => r.spec.credentials?.username ?? (r.spec.credentials?.hasToken ? '<token>' : undefined), jsonPath: '.spec.credentials.username' },
    { name: 'REACHABLE', value: (r) => yesNo(r.status?.reachable) },
    { name: 'AUTHENTICATED', value: (r) => yesNo(r.status?.authenticated) },
    { name: 'PROXY', wide: true, value: (r) => r.spec.proxy, jsonPath: '.spec.proxy' },
    { name: 'LAST CHECKED', wide: true, value: (r) => r.status?.lastChecked, jsonPath: '.status.lastChecked' },
    { name: 'MESSAGE', wide: true, value: (r) => r.status?.message ?? '' },
  ],
  present(obj) {
    const creds = obj.spec.credentials;
    if (!creds) return obj;
    const { password: _p, token: _t, ...rest } = creds;
    return { ...obj, spec: { ...obj.spec, credentials: { ...rest, hasPassword: rest.hasPassword === true, hasToken: rest.hasToken === true } } };
  },
  writesSecret(spec) {
    const creds = spec?.credentials;
    return typeof creds === 'object' && creds !== null && ('password' in creds || 'token' in creds);
  },
};
