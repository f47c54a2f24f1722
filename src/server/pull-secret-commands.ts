/**
 * The commands a Registry's users run to make their own image pull Secret
 * (`GET .../registries/{name}/pull-secret`). Pure: the answer is built from
 * the Registry's URL and user name only. The stored password and token are
 * never read here; the commands take the user's own password from
 * `$PASSWORD`, which they set or type themselves.
 */
import { parseRegistryUrl } from '../api/schema.ts';
import type { Registry } from '../api/types.ts';
import { badRequest } from './errors.ts';

/** What the route answers besides apiVersion/kind/metadata. */
export interface PullSecretCommands {
  /** The registry host the Secret is for (`harbor.example.com`, `127.0.0.1:5000`). */
  server: string;
  /** The Registry's user name; absent when it has none (the commands then use `$USERNAME`). */
  username?: string;
  secretName: string;
  kubeNamespace: string;
  commands: {
    /** `tug kube pull-secret` (docs/kube.md), the password on standard input only. */
    tug: string;
    /** `kubectl create secret docker-registry`; its password is on kubectl's argv, so the tug form is preferred. */
    kubectl: string;
  };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `s` as one POSIX shell word: as is when it holds nothing the shell reads, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The commands for `registry`. `secretName` defaults to the Registry's name
 * and `kubeNamespace` to `default`; both must be valid Kubernetes names
 * (400 otherwise), so nothing the caller sends reaches the commands unchecked.
 */
export function pullSecretCommands(registry: Registry, options: { secretName?: string | undefined; kubeNamespace?: string | undefined } = {}): PullSecretCommands {
  const secretName = options.secretName ?? registry.metadata.name;
  const kubeNamespace = options.kubeNamespace ?? 'default';
  if (!DNS1123_SUBDOMAIN.test(secretName)) throw badRequest('secretName must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")');
  if (!DNS1123_LABEL.test(kubeNamespace)) throw badRequest('kubeNamespace must be a DNS-1123 label (lower-case letters, digits and "-", at most 63)');
  const endpoint = parseRegistryUrl(registry.spec.url);
  // A stored Registry was validated on write; this only guards a row written by hand.
  if ('error' in endpoint) throw badRequest(`the Registry's url ${endpoint.error}`);
  const server = endpoint.host;
  const username = registry.spec.credentials?.username || undefined;
  const user = username !== undefined ? shellWord(username) : '"$USERNAME"';
  const host = shellWord(server);
  return {
    server,
    ...(username !== undefined ? { username } : {}),
    secretName,
    kubeNamespace,
    commands: {
      tug: `printf '%s\\n' "$PASSWORD" | tug kube pull-secret --name ${secretName} -n ${kubeNamespace} -u ${user} --password-stdin ${host} | kubectl apply -f -`,
      kubectl: `kubectl create secret docker-registry ${secretName} --docker-server=${host} --docker-username=${user} --docker-password="$PASSWORD" -n ${kubeNamespace}`,
    },
  };
}
