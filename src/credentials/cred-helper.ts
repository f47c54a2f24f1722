/**
 * The docker credential helper protocol
 * (https://github.com/docker/docker-credential-helpers#development):
 * `docker-credential-NAME get|store|erase|list`, the request on stdin, the
 * answer as JSON on stdout. Secrets travel on stdin/stdout only, never in
 * argv, where any local user could read them from /proc.
 */
import { spawn } from 'node:child_process';
import type { Credentials } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';

/** Default time a helper may take (a helper may prompt a keychain unlock; still, never hang a copy). */
export const HELPER_TIMEOUT_MS = 30_000;

/** Options for every helper call. */
export interface HelperOptions {
  /** Environment for the helper; its PATH is where `docker-credential-NAME` is looked up. Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Kill the helper after this many ms (default {@link HELPER_TIMEOUT_MS}). */
  timeoutMs?: number | undefined;
}

// docker-credential-helpers' credentials.NewErrCredentialsNotFound text.
const NOT_FOUND = /credentials not found/i;

/** The executable name for helper `name`. */
export function helperProgram(name: string): string {
  return `docker-credential-${name}`;
}

interface Run {
  stdout: string;
  code: number | null;
}

function helperError(name: string, action: string, what: string, options: { cause?: unknown; hint?: string } = {}): TugError {
  return new TugError('AUTH', `credential helper ${helperProgram(name)} ${action}: ${what}`, {
    hint: options.hint ?? `check that ${helperProgram(name)} works, or remove it from credHelpers/credsStore`,
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** First line of a helper's output, cut short and with `secrets` blanked: helpers echo their input on errors. */
function summary(out: string, secrets: readonly string[]): string {
  let line = out.trim().split('\n')[0] ?? '';
  for (const s of secrets) if (s) line = line.split(s).join('REDACTED');
  return line.length > 200 ? `${line.slice(0, 200)}...` : line || '(no output)';
}

function run(name: string, action: string, input: string, options: HelperOptions): Promise<Run> {
  const program = helperProgram(name);
  const timeoutMs = options.timeoutMs ?? HELPER_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // Node looks the program up on options.env.PATH when env is given.
    const child = spawn(program, [action], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outLen = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      // A helper answer is a few hundred bytes; do not buffer a runaway one.
      if (outLen < 1 << 20) out.push(d);
      outLen += d.length;
    });
    child.stderr.resume();
    child.stdin.on('error', () => {
      /* EPIPE when the helper exits without reading; its exit status tells the story */
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        code === 'ENOENT'
          ? helperError(name, action, 'not found on PATH', { cause: err, hint: `install ${program}, or remove "${name}" from credHelpers/credsStore` })
          : helperError(name, action, err.message, { cause: err }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) reject(helperError(name, action, `timed out after ${Math.round(timeoutMs / 1000)} s`));
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), code });
    });
    child.stdin.end(input);
  });
}

/**
 * Asks helper `name` for the credentials of `serverUrl`. Returns `undefined`
 * when the helper has none ("credentials not found"). A `<token>` username
 * is passed through: the secret is then an identity token.
 */
export async function helperGet(name: string, serverUrl: string, options: HelperOptions = {}): Promise<Credentials | undefined> {
  const r = await run(name, 'get', serverUrl, options);
  if (r.code !== 0) {
    if (NOT_FOUND.test(r.stdout)) return undefined;
    throw helperError(name, 'get', `exited with status ${r.code}: ${summary(r.stdout, [])}`);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(r.stdout);
  } catch (err) {
    // Do not quote the output: it may be a half-written secret.
    throw helperError(name, 'get', 'answered with something that is not JSON', { cause: err });
  }
  const a = answer as { Username?: unknown; Secret?: unknown };
  if (typeof a !== 'object' || a === null || typeof a.Username !== 'string' || typeof a.Secret !== 'string') {
    throw helperError(name, 'get', 'answered without string "Username" and "Secret" fields');
  }
  // Some helpers answer an empty secret instead of "not found".
  if (a.Secret === '' && a.Username === '') return undefined;
  return { username: a.Username, password: a.Secret };
}

/** Stores `creds` for `serverUrl` in helper `name`. */
export async function helperStore(name: string, serverUrl: string, creds: Credentials, options: HelperOptions = {}): Promise<void> {
  const input = JSON.stringify({ ServerURL: serverUrl, Username: creds.username, Secret: creds.password });
  const r = await run(name, 'store', input, options);
  if (r.code !== 0) throw helperError(name, 'store', `exited with status ${r.code}: ${summary(r.stdout, [creds.password])}`);
}

/** Erases the credentials of `serverUrl` from helper `name`; false when it had none. */
export async function helperErase(name: string, serverUrl: string, options: HelperOptions = {}): Promise<boolean> {
  const r = await run(name, 'erase', serverUrl, options);
  if (r.code === 0) return true;
  if (NOT_FOUND.test(r.stdout)) return false;
  throw helperError(name, 'erase', `exited with status ${r.code}: ${summary(r.stdout, [])}`);
}

/** Lists helper `name`'s entries as `{ serverUrl: username }`. */
export async function helperList(name: string, options: HelperOptions = {}): Promise<Record<string, string>> {
  const r = await run(name, 'list', '', options);
  if (r.code !== 0) throw helperError(name, 'list', `exited with status ${r.code}: ${summary(r.stdout, [])}`);
  try {
    const list = JSON.parse(r.stdout) as unknown;
    if (typeof list !== 'object' || list === null || Array.isArray(list)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(list).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch (err) {
    throw helperError(name, 'list', 'answered with something that is not a JSON object', { cause: err });
  }
}
