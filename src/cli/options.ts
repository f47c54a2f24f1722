/**
 * Flags shared by several commands, and their translation into the
 * library's SystemContext. Names follow skopeo's so scripts carry over.
 *
 * Each group is a function that adds its flags to a command and returns the
 * command with their values in its type (`@commander-js/extra-typings`
 * infers them from the flag strings), so `.action` sees typed options and
 * the types below are read off the same definitions.
 */
import { type Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import type { SystemContext } from '../context/system-context.ts';
import { parseCredsFlag } from '../credentials/index.ts';

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

/** A command without options, to read a flag group's values off: `OptionsOf<typeof addCommonFlags<[], NoOptions, NoOptions>>`. */
export type NoOptions = Record<never, never>;
/** The option values a flag-group function adds to a command. */
export type OptionsOf<F extends (...args: never[]) => { opts(): OptionValues }> = ReturnType<ReturnType<F>['opts']>;

/** The program's flags, given before or after the command name. */
export function addGlobalFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--debug', 'print stack traces of errors')
    .option('--override-arch <arch>', 'use ARCH instead of this machine\'s architecture when choosing from an index')
    .option('--override-os <os>', 'use OS instead of this machine\'s OS when choosing from an index')
    .option('--override-variant <variant>', 'use VARIANT when choosing from an index (e.g. v7, v8)')
    .addOption(new Option('--command-timeout <seconds>', 'abort the command after this many seconds').argParser((v) => parsePositiveInt(v) * 1000));
}

/** What every command may read of the program's flags (`commandTimeout` in milliseconds). */
export type GlobalOptions = OptionsOf<typeof addGlobalFlags<[], NoOptions, NoOptions>>;

/** Which side a command's registry flags are for: `--creds`, `--src-creds`, `--dest-creds`. */
export type Side = '' | 'src-' | 'dest-';

/**
 * Adds the registry flags for one side (`src-`, `dest-` or none) to a command:
 * --creds, --authfile, --registry-token, --tls-verify, --cert-dir, --plain-http.
 */
export function addRegistryFlags<A extends unknown[], O extends OptionValues, G extends OptionValues, P extends Side>(cmd: Command<A, O, G>, prefix: P, what = 'the registry') {
  return cmd
    .option(`--${prefix}creds <user:password>`, `credentials for ${what} (prefer --${prefix}authfile or "tug login": argv is visible to other users)`)
    .option(`--${prefix}authfile <path>`, `auth file for ${what} (default: REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)`)
    .option(`--${prefix}registry-token <token>`, `bearer token for ${what}`)
    .addOption(new Option(`--${prefix}tls-verify [bool]`, `verify TLS certificates of ${what}`).argParser(parseBool).default(true))
    .option(`--${prefix}cert-dir <dir>`, `directory with ca.crt / client.cert / client.key for ${what}`)
    .addOption(new Option(`--${prefix}plain-http [bool]`, `talk plain HTTP to ${what} (never done silently, except for loopback or --tls-verify=false registries)`).argParser(parseBool).default(false));
}

/** One side's registry flags as parsed: `{ srcCreds?: string; srcTlsVerify: boolean; ... }` for `src-`. */
export type RegistryOptions<P extends Side> = OptionsOf<typeof addRegistryFlags<[], NoOptions, NoOptions, P>>;

/** --retry-times and --tmpdir, common to commands that move data. */
export function addCommonFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('--retry-times <n>', 'retries on temporary errors per request').argParser(parseCount).default(4))
    .option('--tmpdir <dir>', 'directory for temporary files (archives)');
}

export type CommonOptions = OptionsOf<typeof addCommonFlags<[], NoOptions, NoOptions>>;

/**
 * The flags of a command that moves images from a source to a destination
 * (copy, sync): registry flags for each side (`sources` names the source
 * side in help), --authfile for both, and {@link addCommonFlags}.
 */
export function addTransferFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>, sources: string) {
  const sides = addRegistryFlags(addRegistryFlags(cmd, 'src-', sources), 'dest-', 'the destination registry');
  return addCommonFlags(sides.option('--authfile <path>', 'auth file for both sides'));
}

/**
 * What {@link contextFrom} reads for one side: that side's registry flags,
 * the shared --authfile, --retry-times and --tmpdir. Each may be missing: a
 * command without a flag leaves the library's default.
 */
export type ContextOptions<P extends Side> = Partial<RegistryOptions<P> & CommonOptions> & { authfile?: string };

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Builds the SystemContext for one side from parsed flags; the side's --PREFIX-authfile wins over the shared --authfile. */
export function contextFrom<P extends Side>(opts: ContextOptions<P>, prefix: P, extra: Partial<SystemContext> = {}): SystemContext {
  // The side's flags are named at run time (`src-tls-verify` -> srcTlsVerify),
  // so their values are read by name and checked rather than cast.
  const values: Readonly<Record<string, unknown>> = opts;
  const get = (name: string) => values[camel(`${prefix}${name}`)];
  const text = (name: string) => {
    const v = get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const flag = (name: string) => {
    const v = get(name);
    return typeof v === 'boolean' ? v : undefined;
  };
  const creds = text('creds');
  return {
    credentials: creds !== undefined ? parseCredsFlag(creds) : undefined,
    authFile: text('authfile') ?? opts.authfile,
    registryToken: text('registry-token'),
    tlsVerify: flag('tls-verify'),
    certDir: text('cert-dir'),
    plainHttp: flag('plain-http'),
    retryMaxAttempts: opts.retryTimes !== undefined ? opts.retryTimes + 1 : undefined,
    tmpDir: opts.tmpdir,
    userAgent: 'tugboat/0.1',
    ...extra,
  };
}
