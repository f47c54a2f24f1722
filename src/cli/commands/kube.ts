/**
 * `tug kube`: from the registry into the cluster. Pull secrets, manifests
 * and Helm values rewritten to the mirror, the images a chart uses, and
 * node mirror configuration, all from the sync file's mappings
 * (docs/kube.md). One file per subcommand under kube/.
 */
import { Command } from '@commander-js/extra-typings';
import type { GlobalOptions } from '../options.ts';
import { kubeImagesCommand } from './kube/images.ts';
import { kubeMirrorConfigCommand } from './kube/mirror-config.ts';
import { kubePullSecretCommand } from './kube/pull-secret.ts';
import { kubeRewriteCommand } from './kube/rewrite.ts';

export function kubeCommand(globals: () => GlobalOptions) {
  const kube = new Command('kube').description('Pull secrets, rewritten manifests and Helm values, image lists and node mirror configuration for Kubernetes');
  for (const c of [kubePullSecretCommand(), kubeRewriteCommand(globals), kubeImagesCommand(), kubeMirrorConfigCommand()]) kube.addCommand(c.exitOverride());
  return kube;
}
