/**
 * `tug serve`: the management service (HTTP API + sync scheduler).
 * `tug serve token create`: adds an API token straight to the store (for
 * bootstrapping and recovery; the API's POST /tokens does the same online).
 * `tug serve rotate-secrets`: seals stored credentials with a new key.
 * `tug serve crds`: CustomResourceDefinitions for the API's kinds.
 */
import { Command, type CommandUnknownOpts, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { parseDuration } from '../../api/duration.ts';
import { TugError } from '../../errors/index.ts';
import { parsePositiveInt } from '../options.ts';

const DEFAULT_DATA = '.tugboat';

/** `--health-interval`: a Go duration of at least 10s, or 0 (off). */
function parseHealthInterval(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || (ms !== 0 && ms < 10_000)) throw new InvalidArgumentError(`"${value}" is not an interval of 10s or more (a Go duration: 5m, 1h), or 0 to turn health checks off`);
  return ms;
}

/** A repeatable flag's values, in the order given. */
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function storeFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('--data <dir>', 'data directory of the embedded SQLite store and its secret key').default(DEFAULT_DATA))
    .option('--database <url>', 'postgres://USER@HOST/DB: use PostgreSQL (replicas share it) instead of SQLite; password via PGPASSWORD or ~/.pgpass');
}

/**
 * A subcommand's options, with the values given for the same flags on the
 * command line that commander handed to `serve` instead: it parses a
 * parent's flags wherever they appear, so `tug serve token create --data
 * DIR` sets serve's --data and leaves the subcommand's at its default.
 */
function subcommandOpts<O extends OptionValues>(cmd: { opts(): O } & CommandUnknownOpts): O {
  const out = { ...cmd.opts() };
  const own = new Set(cmd.options.map((o) => o.attributeName()));
  for (let p = cmd.parent; p; p = p.parent) {
    for (const [k, v] of Object.entries(p.opts())) {
      // The same attribute on both comes from the same definition
      // (storeFlags, keyFlags), so the parent's value has the subcommand's type.
      if (own.has(k) && p.getOptionValueSource(k) === 'cli' && cmd.getOptionValueSource(k) !== 'cli') Object.assign(out, { [k]: v });
    }
  }
  return out;
}

function tokenCommand(): Command {
  const create = storeFlags(
    new Command('create')
      .description('Create an API token and print it (shown only once)')
      .requiredOption('--name <name>', 'token name (recorded in the audit log)')
      .addOption(new Option('--role <role>', 'what the token may do').choices(['viewer', 'editor', 'admin']).makeOptionMandatory())
      .option('--namespace <ns>', 'limit the token to this namespace (repeatable)', collect),
  );
  create.action(async () => {
    const opts = subcommandOpts(create);
    const { openStore, StoreConflict } = await import('../../store/index.ts');
    const { FILE_TOKEN_NAME, createToken } = await import('../../server/auth.ts');
    const { tokenCreateSchema } = await import('../../api/schema.ts');
    // The same rules as POST /tokens, checked before the store is opened.
    const parsed = tokenCreateSchema.safeParse({ name: opts.name, role: opts.role, namespaces: opts.namespace });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TugError('USAGE', `token ${issue.path.join('.') || 'spec'}: ${issue.message}`, { hint: 'names and namespaces are DNS-1123 names such as "ci-prod"' });
    }
    if (parsed.data.name === FILE_TOKEN_NAME) throw new TugError('USAGE', `the token name "${FILE_TOKEN_NAME}" is reserved for the --admin-token-file token`, { hint: 'choose another --name' });
    const store = await openStore({ data: opts.data, database: opts.database ?? process.env.TUG_DATABASE });
    try {
      const { token } = await createToken(store, parsed.data);
      process.stdout.write(`${token}\n`);
    } catch (err) {
      if (err instanceof StoreConflict) throw new TugError('USAGE', `a token named "${opts.name}" already exists`, { hint: 'choose another --name, or delete the old one (DELETE /tokens/NAME) first' });
      throw err;
    } finally {
      await store.close();
    }
  });
  return new Command('token').description('Manage API tokens in the store').addCommand(create);
}

function keyFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--secret-key-file <file>', 'key for registry credentials: 32 bytes, base64 (default: env TUG_SECRET_KEY, else DATA/secret.key generated for SQLite)')
    .option('--previous-secret-key-file <file>', 'a key being rotated out: opens stored credentials, never seals them (repeatable; see "tug serve rotate-secrets")', collect);
}

function rotateSecretsCommand() {
  const cmd = keyFlags(
    storeFlags(
      new Command('rotate-secrets').description(
        'Seal every stored registry credential again with the current --secret-key-file, opening each with it or a --previous-secret-key-file; afterwards the previous keys can be dropped. Safe while replicas run',
      ),
    ),
  );
  cmd.action(async () => {
    const opts = subcommandOpts(cmd);
    const { openStore, isPostgresUrl } = await import('../../store/index.ts');
    const { createSecrets, loadPreviousKeys, loadSecretKey } = await import('../../server/secrets.ts');
    const { rotateSecrets } = await import('../../server/rotate-secrets.ts');
    const { join } = await import('node:path');
    const { existsSync } = await import('node:fs');
    const database = opts.database ?? process.env.TUG_DATABASE;
    // Never generate a key here: a new key would open nothing.
    const dataKey = join(opts.data, 'secret.key');
    const { key } = await loadSecretKey({ keyFile: opts.secretKeyFile, env: process.env.TUG_SECRET_KEY, generatedPath: !isPostgresUrl(database) && existsSync(dataKey) ? dataKey : undefined });
    const secrets = createSecrets(key, await loadPreviousKeys(opts.previousSecretKeyFile));
    const store = await openStore({ data: opts.data, database });
    try {
      const r = await rotateSecrets(store, secrets);
      process.stdout.write(`rotated ${r.rotated.length}, already current ${r.current.length}, changed meanwhile ${r.raced.length}, failed ${r.failed.length}\n`);
      for (const line of r.failed) process.stderr.write(`tug serve rotate-secrets: ${line}\n`);
      if (r.failed.length > 0) {
        throw new TugError('AUTH', `${r.failed.length} stored credential(s) open with none of the keys given`, { hint: 'add the key they were sealed with as --previous-secret-key-file, or re-enter those credentials' });
      }
    } finally {
      await store.close();
    }
  });
  return cmd;
}

/** `tug serve crds`: the CustomResourceDefinitions of the API's kinds, for clusters that keep them in Kubernetes. */
function crdsCommand() {
  const cmd = new Command('crds')
    .description('Print CustomResourceDefinitions (apiextensions.k8s.io/v1) for Registry, Repository and SyncRun, generated from the schemas the server validates with: tug serve crds | kubectl apply -f -')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json'] as const).default('yaml' as const));
  cmd.action(async () => {
    const { output } = subcommandOpts(cmd);
    const { customResourceDefinitions } = await import('../../api/crds.ts');
    const crds = customResourceDefinitions();
    if (output === 'json') {
      process.stdout.write(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }, null, 2)}\n`);
      return;
    }
    const YAML = (await import('yaml')).default;
    process.stdout.write(crds.map((c) => YAML.stringify(c, { lineWidth: 0 })).join('---\n'));
  });
  return cmd;
}

export function serveCommand() {
  const base = new Command('serve')
    .description('Run the management service: the image.theriseunion.io/v1alpha1 API and the sync scheduler')
    .addOption(new Option('--listen <host:port>', 'address to listen on').default('127.0.0.1:8080'));
  const cmd = keyFlags(storeFlags(base))
    .option('--admin-token-file <file>', 'register the token in FILE as an admin token (else one is generated at first start and printed once on stderr)')
    .addOption(new Option('--max-concurrent-syncs <n>', 'syncs at once on this replica').argParser(parsePositiveInt).default(4))
    .option('--replica-id <id>', 'this replica\'s name in leases and runs (default: the host name for SQLite, host-pid-random for PostgreSQL)')
    .addOption(new Option('--lease-duration <seconds>', 'how long a replica holds a repository without renewing; a dead replica\'s work moves on after this').argParser(parsePositiveInt).default(30))
    .addOption(new Option('--shutdown-timeout <seconds>', 'on SIGTERM, how long in-flight syncs may finish before they are interrupted').argParser(parsePositiveInt).default(20))
    .option('--tls-cert-file <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key-file. Reloaded on SIGHUP and when the file changes')
    .option('--tls-key-file <file>', 'the PEM private key of --tls-cert-file')
    .addOption(new Option('--health-interval <duration>', 'between two health checks of a Repository (a manifest HEAD at its source and mirror, between syncs); 0 turns them off').argParser(parseHealthInterval).default(600_000, '10m'))
    .addOption(new Option('--keep-sync-runs <n>', 'sync runs kept per repository; older finished runs and their logs are deleted when a run finishes').argParser(parsePositiveInt).default(100))
    .option('--egress-deny <rule>', 'never let the server connect here (registries, token realms, redirects; checked after DNS): a CIDR, an address, a host name or *.suffix; wins over --egress-allow (repeatable)', collect)
    .option('--egress-allow <rule>', 're-open what the server refuses by default: link-local 169.254.0.0/16 and fe80::/10, cloud metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200, metadata.google.internal); same forms (repeatable)', collect)
    .option('--trust-proxy <cidr>', 'an address or CIDR of the reverse proxy (ingress) in front: its X-Forwarded-For names the client, so failed logins are counted per client (repeatable; default: the header is ignored)', collect);
  cmd.addCommand(tokenCommand());
  cmd.addCommand(rotateSecretsCommand());
  cmd.addCommand(crdsCommand());
  return cmd.action(async (opts) => {
    // First: it may re-execute the process with the server's heap settings (v8-tuning.ts says why).
    await (await import('../../server/v8-tuning.ts')).tuneV8ForServe();
    // The server (fastify, pino, the stores) loads only for this command.
    const { startServer } = await import('../../server/serve.ts');
    const server = await startServer({
      listen: opts.listen,
      data: opts.data,
      database: opts.database ?? process.env.TUG_DATABASE,
      adminTokenFile: opts.adminTokenFile,
      secretKeyFile: opts.secretKeyFile,
      previousSecretKeyFiles: opts.previousSecretKeyFile,
      maxConcurrentSyncs: opts.maxConcurrentSyncs,
      replicaId: opts.replicaId,
      shutdownDeadlineMs: opts.shutdownTimeout * 1000,
      leaseMs: opts.leaseDuration * 1000,
      keepSyncRuns: opts.keepSyncRuns,
      healthIntervalMs: opts.healthInterval,
      tlsCertFile: opts.tlsCertFile,
      tlsKeyFile: opts.tlsKeyFile,
      egressAllow: opts.egressAllow,
      egressDeny: opts.egressDeny,
      trustProxy: opts.trustProxy,
    });
    await new Promise<void>((resolve, reject) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          process.stderr.write(`tug serve: second ${sig}: exiting now\n`);
          process.exit(130);
        }
        process.stderr.write(`tug serve: ${sig}: finishing in-flight syncs (up to ${opts.shutdownTimeout}s)\n`);
        server.stop().then(resolve, (err: unknown) => reject(err instanceof Error ? err : new TugError('INTERNAL', String(err))));
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      // SIGHUP re-reads the certificate (what nginx and HAProxy do). Without
      // TLS it keeps its default: the process ends.
      const reloadTls = server.reloadTls;
      if (reloadTls) process.on('SIGHUP', () => void reloadTls());
    });
  });
}
