/**
 * `tug bundle`: images across an air gap (docs/bundle.md). `create` on the
 * connected side writes a bundle (incremental with --history), `verify` and
 * `apply` on the offline side check it and push it into a registry or a
 * registry-dir tree, `list` shows a chain. One file per subcommand under bundle/.
 */
import { Command } from '@commander-js/extra-typings';
import type { GlobalOptions } from '../options.ts';
import { bundleApplyCommand } from './bundle/apply.ts';
import { bundleCreateCommand } from './bundle/create.ts';
import { bundleListCommand } from './bundle/list.ts';
import { bundleVerifyCommand } from './bundle/verify.ts';

export function bundleCommand(globals: () => GlobalOptions) {
  const bundle = new Command('bundle').description('Carry images across an air gap: create, verify, apply and list incremental, resumable bundles');
  for (const c of [bundleCreateCommand(globals), bundleVerifyCommand(), bundleApplyCommand(globals), bundleListCommand()]) bundle.addCommand(c.exitOverride());
  return bundle;
}
