/**
 * Docker's `daemon.json`: `registry-mirrors` (Docker Hub only, and the
 * mirror must serve Hub's repository names unchanged, at its root) and
 * `insecure-registries` for mirrors without verified TLS. Everything else
 * is reported as not expressible: dockerd has no mirrors for other
 * registries and no renames.
 */
import { splitRules, unexpressed } from './rules.ts';
import type { MirrorConfig, MirrorConfigGenerator } from './types.ts';

export const dockerDaemonJson: MirrorConfigGenerator = (input) => {
  const out: MirrorConfig = { format: 'docker', files: [], unexpressed: [], notes: [] };
  const mirrors: string[] = [];
  const insecure: string[] = [];
  for (const r of splitRules(input.rules)) {
    if (r.fromHost !== 'docker.io') {
      out.unexpressed.push(unexpressed(r, "Docker's registry-mirrors apply to Docker Hub only", 'rewrite the manifests to the mirror names (tug kube rewrite)'));
      continue;
    }
    if (r.fromPath !== r.toPath) {
      out.unexpressed.push(
        unexpressed(r, "Docker asks a registry mirror for Docker Hub's own repository names, at the mirror's root", `mirror Docker Hub under the same names (to: ${r.toHost}${r.fromPath ? `/${r.fromPath}` : ''}${r.rule.prefix ? '/*' : ''}), or rewrite the manifests (tug kube rewrite)`),
      );
      continue;
    }
    const settings = input.hosts[r.toHost] ?? {};
    const url = `${settings.plainHttp ? 'http' : 'https'}://${r.toHost}`;
    if (!mirrors.includes(url)) mirrors.push(url);
    if ((settings.plainHttp || settings.tlsVerify === false) && !insecure.includes(r.toHost)) insecure.push(r.toHost);
    if (settings.caFile) out.notes.push(`copy the CA: ${settings.caFile} -> /etc/docker/certs.d/${r.toHost}/ca.crt`);
  }
  if (mirrors.length > 0) {
    const doc: Record<string, string[]> = { 'registry-mirrors': mirrors };
    if (insecure.length > 0) doc['insecure-registries'] = insecure;
    out.files.push({ path: 'daemon.json', content: `${JSON.stringify(doc, null, 2)}\n` });
    out.notes.push('merge these keys into /etc/docker/daemon.json and restart dockerd; Docker falls back to Docker Hub when the mirror fails');
  }
  return out;
};
