/**
 * What every node-config generator takes and gives: the sync file's
 * mappings (src/kube/mapper.ts `MirrorRule`s) plus the mirror registries'
 * TLS settings in, files plus the mappings the format cannot express (and
 * what to do instead) out. Generators are pure and never write a rule that
 * would send a mapped image anywhere but its mirror name.
 */
import type { MirrorRule } from '../mapper.ts';

/** TLS and scheme of one mirror host (a sync file's `registries.<host>`). */
export interface MirrorHostSettings {
  /** Talk plain HTTP to the mirror. */
  plainHttp?: boolean | undefined;
  /** false = do not verify the mirror's certificate. */
  tlsVerify?: boolean | undefined;
  /** Path of the CA certificate on the node (from `cert-dir`: `<cert-dir>/ca.crt`). */
  caFile?: string | undefined;
}

export interface MirrorConfigInput {
  rules: readonly MirrorRule[];
  /** By mirror host (`host[:port]`). */
  hosts: Readonly<Record<string, MirrorHostSettings>>;
  /** Where the rules came from, for the generated files' header comment. */
  from: string;
}

export interface GeneratedFile {
  /** Relative path: `certs.d/docker.io/hosts.toml`, `registries.yaml`, `registries.conf`, `daemon.json`. */
  path: string;
  content: string;
}

/** A mapping the format cannot express. */
export interface Unexpressed {
  /** `docker.io/openyurt/* -> quanzhenglong.com/edge/*`. */
  mapping: string;
  origin: string;
  reason: string;
  instead: string;
}

export interface MirrorConfig {
  format: string;
  files: GeneratedFile[];
  unexpressed: Unexpressed[];
  /** Things the operator must do besides installing the files (CA placement, restarts). */
  notes: string[];
}

export type MirrorConfigGenerator = (input: MirrorConfigInput) => MirrorConfig;
