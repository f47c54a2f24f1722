/**
 * `--creds USER:PASSWORD`, in a module of its own: every command's flags
 * parse it (cli/options.ts), and importing it from index.ts would load the
 * auth files, credential helpers and node:child_process at every start,
 * also of commands that never look a credential up.
 */
import type { Credentials } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';

/**
 * Parses `--creds USER:PASSWORD`. The password may contain ':' (only the
 * first one separates). Throws USAGE when there is no ':' or the user is
 * empty; the message never repeats the value, which holds the password.
 */
export function parseCredsFlag(value: string): Credentials {
  const colon = value.indexOf(':');
  if (colon === -1) {
    throw new TugError('USAGE', '--creds must be USERNAME:PASSWORD, but it has no ":"', { hint: 'write --creds "user:password"' });
  }
  if (colon === 0) throw new TugError('USAGE', '--creds has an empty username', { hint: 'write --creds "user:password"' });
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}
