/**
 * Image pull secrets: `kubernetes.io/dockerconfigjson` Secrets as
 * `kubectl create secret docker-registry` writes them (`.dockerconfigjson`
 * = base64 of `{"auths": {KEY: {username, password, auth}}}`), one per
 * namespace, and the ServiceAccount patch that links one for pulls
 * (`oc secrets link SA SECRET --for=pull`).
 *
 * Pure: entries in, objects and text out. The entries hold secrets; nothing
 * here throws with or returns them except inside the Secret's data.
 */
import { stringify } from 'yaml';
import type { Credentials } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';

/** One auths entry: its key as it should appear (`quanzhenglong.com`, or repository-scoped `quay.io/team/app`) and its credentials. */
export interface PullSecretEntry {
  key: string;
  credentials: Credentials;
}

export interface PullSecretOptions {
  /** metadata.name. */
  name: string;
  /** One Secret per namespace, in this order (default: no namespace, kubectl's current one). */
  namespaces?: readonly string[] | undefined;
}

/** The identity-token marker of the credential-helper protocol (`<token>` username). */
const IDENTITY_TOKEN_USERNAME = '<token>';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks a Secret/ServiceAccount name (DNS subdomain) and namespaces (DNS labels). Throws USAGE naming the bad one. */
export function checkNames(name: string, namespaces: readonly string[], what = 'secret name'): void {
  if (!DNS_SUBDOMAIN.test(name)) throw new TugError('USAGE', `${what} "${name}" is not a Kubernetes name`, { hint: 'lower-case letters, digits, "-" and ".", e.g. edge-registry' });
  for (const ns of namespaces) {
    if (!DNS_LABEL.test(ns)) throw new TugError('USAGE', `namespace "${ns}" is not a Kubernetes namespace name`, { hint: 'lower-case letters, digits and "-", at most 63 characters' });
  }
}

/**
 * How a key is written in the Secret: Docker Hub as the server URL docker
 * and `kubectl create secret docker-registry` use (`https://index.docker.io/v1/`,
 * which kubelet's keyring also matches for `docker.io/...` images); every
 * other key, repository-scoped ones included, as it is.
 */
export function secretKey(key: string): string {
  return key === 'docker.io' ? 'https://index.docker.io/v1/' : key;
}

/** The `.dockerconfigjson` document (before base64), auths in the order given. */
export function dockerConfigJson(entries: readonly PullSecretEntry[]): { auths: Record<string, Record<string, string>> } {
  const auths: Record<string, Record<string, string>> = {};
  for (const { key: name, credentials } of entries) {
    const key = secretKey(name);
    if (credentials.username === IDENTITY_TOKEN_USERNAME) auths[key] = { identitytoken: credentials.password };
    else {
      const auth = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
      auths[key] = { username: credentials.username, password: credentials.password, auth };
    }
  }
  return { auths };
}

export interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace?: string };
  type: 'kubernetes.io/dockerconfigjson';
  data: { '.dockerconfigjson': string };
}

/** The Secrets, one per namespace (or one without a namespace). Throws USAGE for bad names or no entries. */
export function pullSecrets(entries: readonly PullSecretEntry[], options: PullSecretOptions): SecretObject[] {
  const namespaces = options.namespaces ?? [];
  checkNames(options.name, namespaces);
  if (entries.length === 0) throw new TugError('USAGE', 'no credentials for the registries asked for', { hint: 'tug login REGISTRY first, or pass -u USER --password-stdin' });
  const data = Buffer.from(JSON.stringify(dockerConfigJson(entries)), 'utf8').toString('base64');
  const one = (namespace?: string): SecretObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: namespace === undefined ? { name: options.name } : { name: options.name, namespace },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': data },
  });
  return namespaces.length === 0 ? [one()] : namespaces.map((ns) => one(ns));
}

/**
 * The strategic-merge patch adding `secret` to a ServiceAccount's
 * `imagePullSecrets` (a list merged by `name`, so other secrets stay), and
 * the kubectl command applying it in `namespace`.
 */
export function serviceAccountPatch(serviceAccount: string, secret: string, namespace?: string): { patch: { imagePullSecrets: { name: string }[] }; command: string } {
  checkNames(serviceAccount, namespace === undefined ? [] : [namespace], 'service account name');
  const patch = { imagePullSecrets: [{ name: secret }] };
  const ns = namespace === undefined ? '' : ` -n ${namespace}`;
  return { patch, command: `kubectl patch serviceaccount ${serviceAccount}${ns} -p '${JSON.stringify(patch)}'` };
}

/** Manifests as YAML (`---` between documents) or JSON (one object, or a `List` of several). */
export function formatManifests(objects: readonly object[], format: 'yaml' | 'json'): string {
  if (format === 'json') {
    const value = objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
