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
import { parseDuration } from '../api/duration.ts';
import { parseCredsFlag } from '../credentials/creds-flag.ts';
import { TugError } from '../errors/index.ts';

const USER_AGENT = 'tugboat/0.1';

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

/**
 * `--command-timeout`: a Go duration as skopeo takes it (`90s`, `10m`,
 * `1h30m`); a bare whole number is read as seconds, as tug took it before.
 * Returns milliseconds.
 */
export function parseTimeout(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`expected a Go duration such as 90s, 10m or 1h30m, got "${value}"`);
  return ms;
}

/** A Go duration (`2s`, `500ms`, `0`) in milliseconds, for --retry-delay. */
export function parseGoDuration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected a Go duration such as 2s or 500ms, got "${value}"`);
  return ms;
}

/**
 * The program's flags, skopeo's global flags: given before or after the
 * command name (commander reads the program's options anywhere). --policy,
 * --insecure-policy, --registries-conf and --registries.d are declared here
 * and implemented by the signature and registries.conf code, which read them
 * off `globals()`.
 */
export function addGlobalFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  // `registries.d` would become the attribute "registries.d"; scripts and types say registriesD.
  const registriesD = new Option('--registries.d <dir>', 'directory of registries.d(5) files (signature storage)');
  registriesD.attributeName = () => 'registriesD';
  return cmd
    .option('--debug', 'print every HTTP exchange with a registry (credentials redacted) and stack traces of errors')
    .option('--override-arch <arch>', 'use ARCH instead of this machine\'s architecture when choosing from an index')
    .option('--override-os <os>', 'use OS instead of this machine\'s OS when choosing from an index')
    .option('--override-variant <variant>', 'use VARIANT when choosing from an index (e.g. v7, v8)')
    .addOption(new Option('--command-timeout <duration>', 'abort the command after this long: a Go duration (10m, 90s, 1h30m)').argParser(parseTimeout))
    .option('--tmpdir <dir>', 'directory for temporary files (archives)')
    .option('--user-agent-prefix <prefix>', 'put PREFIX before tug\'s own User-Agent')
    .option('--policy <path>', 'trust policy file (containers-policy.json(5)); default ~/.config/containers/policy.json, then /etc/containers/policy.json; with neither, every image is accepted (skopeo refuses to run)')
    .option('--insecure-policy', 'run without any policy check')
    .option('--registries-conf <path>', 'registries.conf(5) file to use instead of /etc/containers/registries.conf')
    .addOption(registriesD as Option<'--registries.d <dir>'>);
}

type RawGlobalOptions = OptionsOf<typeof addGlobalFlags<[], NoOptions, NoOptions>>;
/** What every command may read of the program's flags (`commandTimeout` in milliseconds). */
export type GlobalOptions = Omit<RawGlobalOptions, 'registries.d'> & { registriesD?: string | undefined };

/** What the program's flags set for every SystemContext: --tmpdir and --user-agent-prefix. */
let processDefaults: Partial<SystemContext> = { userAgent: USER_AGENT };

/** Called once the program's flags are parsed, before a command runs. */
export function useGlobals(g: GlobalOptions): void {
  processDefaults = {
    tmpDir: g.tmpdir,
    userAgent: g.userAgentPrefix ? `${g.userAgentPrefix} ${USER_AGENT}` : USER_AGENT,
    // --registries-conf (undefined: the machine's files, as skopeo reads them; see src/registries-conf/load.ts).
    registriesConf: g.registriesConf,
  };
}

/** Which side a command's registry flags are for: `--creds`, `--src-creds`, `--dest-creds`. */
export type Side = '' | 'src-' | 'dest-';

/**
 * Adds the registry flags for one side (`src-`, `dest-` or none) to a command:
 * --creds, --authfile, --registry-token, --tls-verify, --cert-dir, --plain-http.
 */
export function addRegistryFlags<A extends unknown[], O extends OptionValues, G extends OptionValues, P extends Side>(cmd: Command<A, O, G>, prefix: P, what = 'the registry') {
  return cmd
    .option(`--${prefix}creds <user:password>`, `credentials for ${what} (prefer --${prefix}authfile or "tug login": argv is visible to other users)`)
    .option(`--${prefix}authfile <path>`, `auth file for ${what} (default: REGISTRY_AUTH_FILE, else skopeo's: $XDG_RUNTIME_DIR/containers/auth.json or /run/containers/$UID/auth.json, then ~/.config/containers/auth.json, ~/.docker/config.json)`)
    .option(`--${prefix}registry-token <token>`, `bearer token for ${what}`)
    // No .default(true): the library tells an explicit true (TLS, no plain-HTTP fallback for loopback) from not given.
    .addOption(new Option(`--${prefix}tls-verify [bool]`, `verify TLS certificates of ${what} (default true; an explicit true also refuses plain HTTP on loopback)`).argParser(parseBool))
    .option(`--${prefix}cert-dir <dir>`, `directory with ca.crt / client.cert / client.key for ${what}`)
    .addOption(new Option(`--${prefix}plain-http [bool]`, `talk plain HTTP to ${what} (never done silently, except for loopback or --tls-verify=false registries)`).argParser(parseBool).default(false));
}

/** One side's registry flags as parsed: `{ srcCreds?: string; srcTlsVerify: boolean; ... }` for `src-`. */
export type RegistryOptions<P extends Side> = OptionsOf<typeof addRegistryFlags<[], NoOptions, NoOptions, P>>;

/**
 * skopeo's other ways to give one side's credentials: --PREFIX-username with
 * --PREFIX-password (both, or neither), and --PREFIX-no-creds (anonymous: no
 * auth file, no helper). Not for login, whose -u/-p are its own.
 */
export function addCredentialFlags<A extends unknown[], O extends OptionValues, G extends OptionValues, P extends Side>(cmd: Command<A, O, G>, prefix: P, what = 'the registry') {
  return cmd
    .option(`--${prefix}username <name>`, `user name for ${what} (with --${prefix}password)`)
    .option(`--${prefix}password <password>`, `password for ${what} (visible in the process list: prefer an auth file)`)
    .addOption(anonymousOption(prefix, what));
}

/**
 * `--PREFIX-no-creds`. Unprefixed, commander would read `--no-creds` as the
 * negation of --creds (and type `creds` as string | boolean): it is made a
 * plain flag stored as `noCreds`, read by name in {@link contextFrom}.
 */
function anonymousOption(prefix: Side, what: string): Option {
  const option = new Option(`--${prefix}no-creds`, `access ${what} anonymously: no auth file, no credential helper`);
  option.negate = false;
  option.attributeName = () => camel(`${prefix}no-creds`);
  return option;
}

/** --retry-times, --retry-delay: common to commands that talk to registries. */
export function addCommonFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('--retry-times <n>', 'retries on temporary errors per request').argParser(parseCount).default(4))
    .addOption(
      new Option('--retry-delay <duration>', 'longest wait between retries, a Go duration (2s); tug backs off with jitter below it').argParser(parseGoDuration),
    );
}

export type CommonOptions = OptionsOf<typeof addCommonFlags<[], NoOptions, NoOptions>>;

/**
 * The flags of a command that moves images from a source to a destination
 * (copy, sync): registry flags for each side (`sources` names the source
 * side in help), --authfile for both, and {@link addCommonFlags}.
 */
export function addTransferFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>, sources: string) {
  const src = addCredentialFlags(addRegistryFlags(cmd, 'src-', sources), 'src-', sources);
  const sides = addCredentialFlags(addRegistryFlags(src, 'dest-', 'the destination registry'), 'dest-', 'the destination registry');
  return addCommonFlags(sides.option('--authfile <path>', 'auth file for both sides'));
}

/**
 * What {@link contextFrom} reads for one side: that side's registry flags
 * (and credential flags, read by name), the shared --authfile, --retry-times
 * and --retry-delay. Each may be missing: a
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
  const flagName = (name: string) => `--${prefix}${name}`;
  const creds = text('creds');
  const username = text('username');
  const password = text('password');
  const anonymous = flag('no-creds') === true;
  if ((username === undefined) !== (password === undefined)) {
    throw new TugError('USAGE', `${username === undefined ? flagName('password') : flagName('username')} needs ${username === undefined ? flagName('username') : flagName('password')}`, {
      hint: `give both, or ${flagName('creds')} USER:PASSWORD, or an auth file`,
    });
  }
  const given = [creds !== undefined && 'creds', username !== undefined && 'username', anonymous && 'no-creds', text('registry-token') !== undefined && 'registry-token'].filter((x) => x !== false);
  if (given.length > 1) throw new TugError('USAGE', `${given.map(flagName).join(' and ')} conflict`, { hint: 'give one way to authenticate' });
  const credentials = creds !== undefined ? parseCredsFlag(creds) : username !== undefined && password !== undefined ? { username, password } : undefined;
  return {
    ...processDefaults,
    credentials,
    noAuthFile: anonymous || undefined,
    authFile: text('authfile') ?? opts.authfile,
    registryToken: text('registry-token'),
    tlsVerify: flag('tls-verify'),
    certDir: text('cert-dir'),
    plainHttp: flag('plain-http'),
    retryMaxAttempts: opts.retryTimes !== undefined ? opts.retryTimes + 1 : undefined,
    retryMaxDelayMs: opts.retryDelay,
    ...extra,
  };
}
