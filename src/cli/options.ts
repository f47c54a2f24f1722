/**
 * Flags shared by several commands, and their translation into the
 * library's SystemContext. Names follow skopeo's so scripts carry over.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseCredsFlag } from '../credentials/index.ts';
import type { SystemContext } from '../transports/types.ts';

export function parseBool(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/**
 * Adds the registry flags for one side (`src-`, `dest-` or none) to a command:
 * --creds, --authfile, --tls-verify, --cert-dir, --plain-http, --registry-token.
 */
export function addRegistryFlags(cmd: Command, prefix: '' | 'src-' | 'dest-', what = 'the registry'): Command {
  return cmd
    .option(`--${prefix}creds <user:password>`, `credentials for ${what} (prefer --${prefix}authfile or "tug login": argv is visible to other users)`)
    .option(`--${prefix}authfile <path>`, `auth file for ${what} (default: REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)`)
    .option(`--${prefix}registry-token <token>`, `bearer token for ${what}`)
    .addOption(new Option(`--${prefix}tls-verify [bool]`, `verify TLS certificates of ${what}`).argParser(parseBool).default(true))
    .option(`--${prefix}cert-dir <dir>`, `directory with ca.crt / client.cert / client.key for ${what}`)
    .addOption(new Option(`--${prefix}plain-http [bool]`, `talk plain HTTP to ${what} (never done silently, except for loopback or --tls-verify=false registries)`).argParser(parseBool).default(false));
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Builds the SystemContext for one side from parsed flags. `fallbackAuthfile` is the shared --authfile. */
export function contextFrom(opts: Record<string, unknown>, prefix: '' | 'src-' | 'dest-', extra: Partial<SystemContext> = {}): SystemContext {
  const get = (name: string) => opts[camel(`${prefix}${name}`)];
  const creds = get('creds') as string | undefined;
  const ctx: SystemContext = {
    credentials: creds !== undefined ? parseCredsFlag(creds) : undefined,
    authFile: (get('authfile') as string | undefined) ?? (opts.authfile as string | undefined),
    registryToken: get('registry-token') as string | undefined,
    tlsVerify: get('tls-verify') as boolean | undefined,
    certDir: get('cert-dir') as string | undefined,
    plainHttp: get('plain-http') as boolean | undefined,
    retryMaxAttempts: opts.retryTimes !== undefined ? (opts.retryTimes as number) + 1 : undefined,
    tmpDir: opts.tmpdir as string | undefined,
    userAgent: 'tugboat/0.1',
    ...extra,
  };
  return ctx;
}

/** --retry-times and --tmpdir, common to commands that move data. */
export function addCommonFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--retry-times <n>', 'retries on temporary errors per request').argParser(parseCount).default(4))
    .option('--tmpdir <dir>', 'directory for temporary files (archives)');
}
