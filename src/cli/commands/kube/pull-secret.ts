/**
 * `tug kube pull-secret REGISTRY...`: a kubernetes.io/dockerconfigjson
 * Secret holding only the registries asked for, from the credentials `tug`
 * already finds (auth files, helpers, `tug login`), a sync file, or
 * `-u USER --password-stdin`. The password never comes from argv.
 */
import { text } from 'node:stream/consumers';
import { Command, Option } from '@commander-js/extra-typings';
import { TugError } from '../../../errors/index.ts';
import { collectAuthEntries } from '../../../kube/auth-entries.ts';
import { mapperFromSpec } from '../../../kube/mapper.ts';
import { formatManifests, pullSecrets, serviceAccountPatch } from '../../../kube/pull-secret.ts';
import { collect, loadSpec } from './inputs.ts';

export function kubePullSecretCommand() {
  return new Command('pull-secret')
    .description('Print an image pull Secret (kubernetes.io/dockerconfigjson) for the registries named')
    .argument('[registries...]', 'registry hosts (host[:port], or host/namespace); repository-scoped entries below each are kept')
    .requiredOption('--name <name>', 'the Secret\'s name, e.g. edge-registry')
    .option('-n, --namespace <namespace>', 'namespace (repeatable, or comma-separated: one Secret each)', collect)
    .option('--for-sync-file <file>', 'the registries are the destinations of this sync file (and its credentials are used)')
    .option('-u, --username <name>', 'user name for the registries (with --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .addOption(new Option('-p, --password <password>').hideHelp())
    .option('--authfile <path>', 'read credentials from this auth file only')
    .option('--service-account <name>', 'also print (on stderr) the kubectl patch linking the Secret to this ServiceAccount for pulls')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json'] as const).default('yaml' as const))
    .action(async (registries, opts) => {
      if (opts.password !== undefined) throw new TugError('USAGE', '--password is refused: a password on the command line is visible to every user of this machine', { hint: 'use --password-stdin, tug login, or an auth file' });
      if (opts.username !== undefined && !opts.passwordStdin) throw new TugError('USAGE', '-u needs --password-stdin', { hint: 'echo "$PASSWORD" | tug kube pull-secret -u USER --password-stdin ...' });
      if (opts.passwordStdin && opts.username === undefined) throw new TugError('USAGE', '--password-stdin needs -u USER');
      const asked = [...registries];
      let fromSpec: ((registry: string) => { username: string; password: string } | undefined) | undefined;
      if (opts.forSyncFile) {
        const spec = await loadSpec(opts.forSyncFile, { passwords: true });
        const mapper = mapperFromSpec(spec);
        for (const r of mapper.rules) {
          const host = r.to.split('/')[0]!;
          if (!asked.includes(host)) asked.push(host);
        }
        fromSpec = (registry) => spec.registries[registry]?.credentials;
      }
      if (asked.length === 0) throw new TugError('USAGE', 'no registries named', { hint: 'tug kube pull-secret --name NAME REGISTRY..., or --for-sync-file FILE' });
      let given = fromSpec;
      if (opts.passwordStdin) {
        const password = (await text(process.stdin)).replace(/\r?\n$/, '');
        if (!password || !opts.username) throw new TugError('USAGE', 'user name and password must not be empty');
        const creds = { username: opts.username, password };
        given = () => creds;
      }
      const { entries, missing } = await collectAuthEntries(asked, { authFile: opts.authfile, given });
      if (missing.length > 0) {
        throw new TugError('AUTH', `no credentials for ${missing.join(', ')}`, { hint: `run tug login ${missing[0]} (or podman/docker login), or pass -u USER --password-stdin` });
      }
      const namespaces = (opts.namespace ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter((n) => n !== '');
      const secrets = pullSecrets(entries, { name: opts.name, namespaces });
      process.stdout.write(formatManifests(secrets, opts.output));
      if (opts.serviceAccount) {
        for (const ns of namespaces.length > 0 ? namespaces : [undefined]) process.stderr.write(`${serviceAccountPatch(opts.serviceAccount, opts.name, ns).command}\n`);
      }
      process.stderr.write(`Note: ${entries.length} auths entr${entries.length === 1 ? 'y' : 'ies'}: ${entries.map((e) => e.key).join(', ')}\n`);
    });
}
