/**
 * The node-config formats, one table: a new format is one module plus one
 * line here (`tug kube mirror-config --for` and its help derive from it).
 */
import { containerdHosts } from './containerd-hosts.ts';
import { dockerDaemonJson } from './docker-daemon-json.ts';
import { k3sRegistries } from './k3s-registries.ts';
import { registriesConf } from './registries-conf.ts';
import type { MirrorConfigGenerator, MirrorHostSettings } from './types.ts';

export type { GeneratedFile, MirrorConfig, MirrorConfigGenerator, MirrorConfigInput, MirrorHostSettings, Unexpressed } from './types.ts';

export const MIRROR_CONFIG_FORMATS = [
  { name: 'containerd', title: 'containerd hosts.toml (config_path layout)', generate: containerdHosts },
  { name: 'k3s', title: 'k3s / RKE2 registries.yaml', generate: k3sRegistries },
  { name: 'registries-conf', title: 'CRI-O / Podman registries.conf v2', generate: registriesConf },
  { name: 'docker', title: "Docker's daemon.json", generate: dockerDaemonJson },
] as const satisfies readonly { name: string; title: string; generate: MirrorConfigGenerator }[];

export type MirrorConfigFormat = (typeof MIRROR_CONFIG_FORMATS)[number]['name'];
export const MIRROR_CONFIG_FORMAT_NAMES: MirrorConfigFormat[] = MIRROR_CONFIG_FORMATS.map((f) => f.name);

/** The mirror hosts' settings from a sync file's `registries` (host keys only; `cert-dir` gives `<cert-dir>/ca.crt`). */
export function hostSettingsFrom(registries: Readonly<Record<string, { tlsVerify?: boolean | undefined; certDir?: string | undefined; plainHttp?: boolean | undefined }>>): Record<string, MirrorHostSettings> {
  const out: Record<string, MirrorHostSettings> = {};
  for (const [key, r] of Object.entries(registries)) {
    if (key.includes('/')) continue;
    out[key] = { plainHttp: r.plainHttp, tlsVerify: r.tlsVerify, caFile: r.certDir ? `${r.certDir.replace(/\/+$/, '')}/ca.crt` : undefined };
  }
  return out;
}
