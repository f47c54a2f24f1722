/**
 * `tug serve`: the management service (HTTP API + sync scheduler).
 * `tug serve token create`: adds an API token straight to the store (for
 * bootstrapping and recovery; the API's POST /tokens does the same online).
 */
import { Command, Option } from 'commander';
import { TugError } from '../../errors/index.ts';
import { parsePositiveInt } from '../options.ts';

const DEFAULT_DATA = '.tugboat';

function storeFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data <dir>', 'data directory of the embedded SQLite store and its secret key').default(DEFAULT_DATA))
    .option('--database <url>', 'postgres://USER@HOST/DB: use PostgreSQL (replicas share it) instead of SQLite; password via PGPASSWORD or ~/.pgpass');
}

function tokenCommand(): Command {
  const create = new Command('create')
    .description('Create an API token and print it (shown only once)')
    .requiredOption('--name <name>', 'token name (recorded in the audit log)')
    .addOption(new Option('--role <role>', 'what the token may do').choices(['viewer', 'editor', 'admin']).makeOptionMandatory())
    .option('--namespace <ns>', 'limit the token to this namespace (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  storeFlags(create);
  create.action(async (opts: { name: string; role: 'viewer' | 'editor' | 'admin'; namespace?: string[]; data: string; database?: string }) => {
    const { openStore } = await import('../../store/index.ts');
    const { createToken } = await import('../../server/auth.ts');
    const store = await openStore({ data: opts.data, database: opts.database ?? process.env.TUG_DATABASE });
    try {
      const { token } = await createToken(store, { name: opts.name, role: opts.role, namespaces: opts.namespace });
      process.stdout.write(`${token}\n`);
    } finally {
      await store.close();
    }
  });
  return new Command('token').description('Manage API tokens in the store').addCommand(create);
}

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('Run the management service: the image.theriseunion.io/v1alpha1 API and the sync scheduler')
    .addOption(new Option('--listen <host:port>', 'address to listen on').default('127.0.0.1:8080'));
  storeFlags(cmd);
  cmd
    .option('--admin-token-file <file>', 'register the token in FILE as an admin token (else one is generated at first start and printed once on stderr)')
    .option('--secret-key-file <file>', 'key for registry credentials: 32 bytes, base64 (default: env TUG_SECRET_KEY, else DATA/secret.key generated for SQLite)')
    .addOption(new Option('--max-concurrent-syncs <n>', 'syncs at once on this replica').argParser(parsePositiveInt).default(4))
    .option('--replica-id <id>', 'this replica\'s name in leases and runs (default: the host name for SQLite, host-pid-random for PostgreSQL)')
    .addOption(new Option('--lease-duration <seconds>', 'how long a replica holds a repository without renewing; a dead replica\'s work moves on after this').argParser(parsePositiveInt).default(30))
    .addOption(new Option('--shutdown-timeout <seconds>', 'on SIGTERM, how long in-flight syncs may finish before they are interrupted').argParser(parsePositiveInt).default(20));
  cmd.addCommand(tokenCommand());
  return cmd.action(async (opts: { listen: string; data: string; database?: string; adminTokenFile?: string; secretKeyFile?: string; maxConcurrentSyncs: number; replicaId?: string; leaseDuration: number; shutdownTimeout: number }) => {
    // The server (fastify, pino, the stores) loads only for this command.
    const { startServer } = await import('../../server/serve.ts');
    const server = await startServer({
      listen: opts.listen,
      data: opts.data,
      database: opts.database ?? process.env.TUG_DATABASE,
      adminTokenFile: opts.adminTokenFile,
      secretKeyFile: opts.secretKeyFile,
      maxConcurrentSyncs: opts.maxConcurrentSyncs,
      replicaId: opts.replicaId,
      shutdownDeadlineMs: opts.shutdownTimeout * 1000,
      leaseMs: opts.leaseDuration * 1000,
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
    });
  });
}
