/**
 * `tug login` / `tug logout`: the same auth files skopeo, podman and docker
 * use. The password comes from --password-stdin or a prompt; never from argv
 * unless the user insists with --password (and is warned).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { Command, Option } from '@commander-js/extra-typings';
import { lookupCredentials, removeCredentials, storeCredentials } from '../../credentials/index.ts';
import { TugError } from '../../errors/index.ts';
import { type GlobalOptions, addRegistryFlags, contextFrom, parseBool } from '../options.ts';
import { commandSignal } from '../runtime.ts';
import { printingEvents } from '../transport-events.ts';

/** Accepts `host[:port][/namespace...]`, with or without a scheme or docker:// prefix. */
export function normalizeLoginTarget(input: string): { host: string; key: string } {
  const key = input.replace(/^(docker:\/\/|https?:\/\/)/, '').replace(/\/+$/, '');
  const host = key.split('/')[0] ?? '';
  if (!host || /[\s@]/.test(key)) throw new TugError('USAGE', `invalid registry "${input}"`, { hint: 'give a host such as registry.example.com or 127.0.0.1:5000' });
  return { host: host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host, key };
}

async function prompt(question: string, hidden: boolean): Promise<string> {
  if (!process.stdin.isTTY) throw new TugError('USAGE', `cannot prompt for ${question.replace(/: $/, '').toLowerCase()}: standard input is not a terminal`, { hint: 'pass --username and --password-stdin' });
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = hidden;
    const value = await answer;
    if (hidden) process.stderr.write('\n');
    return value;
  } finally {
    rl.close();
  }
}

export function loginCommand(globals: () => GlobalOptions) {
  const cmd = new Command('login')
    .description('Log in to a registry and store the credentials in the auth file')
    .argument('<registry>', 'registry host, e.g. registry.example.com or 127.0.0.1:5000 (host/namespace for repository-scoped credentials)')
    .option('-u, --username <name>', 'user name')
    .option('--password-stdin', 'read the password from standard input')
    .option('-p, --password <password>', 'password (visible in the process list: prefer --password-stdin)')
    .option('--get-login', 'print the user name stored for the registry and exit')
    .option('--compat-auth-file <path>', 'Docker-style config.json to write instead of the auth file (the same "auths" format)')
    .option('-v, --verbose', 'also say which auth file was used');
  return addRegistryFlags(cmd, '').action(async (registry, opts) => {
    const { host, key } = normalizeLoginTarget(registry);
    const authFile = authFileOf(opts);
    if (opts.getLogin) {
      const creds = await lookupCredentials(host, { authFile, repository: key.includes('/') ? key.slice(host.length + 1) : undefined });
      if (!creds) throw new TugError('NOT_FOUND', `not logged into ${key}`, { hint: `run "tug login ${key}"` });
      process.stdout.write(`${creds.username}\n`);
      return;
    }
    if (opts.password !== undefined && opts.passwordStdin) throw new TugError('USAGE', '--password and --password-stdin conflict', { hint: 'use --password-stdin' });
    const username = opts.username ?? (await prompt('Username: ', false));
    let password: string;
    if (opts.passwordStdin) password = (await text(process.stdin)).replace(/\r?\n$/, '');
    else if (opts.password !== undefined) {
      process.stderr.write('WARNING: --password is visible to other users in the process list; prefer --password-stdin\n');
      password = opts.password;
    } else password = await prompt('Password: ', true);
    if (!username || !password) throw new TugError('USAGE', 'user name and password must not be empty');
    const creds = { username, password };
    // -u/-p are login's own (the credentials to check), not contextFrom's --username/--password.
    const { username: _user, password: _password, ...registryOpts } = opts;
    const ctx = printingEvents({ ...contextFrom(registryOpts, ''), credentials: creds });
    const { checkLogin } = await import('../../distribution/login.ts');
    await checkLogin(host, ctx, { signal: commandSignal(globals()) });
    const where = await storeCredentials(key, creds, { authFile });
    process.stdout.write(opts.verbose ? `Login Succeeded! (credentials stored in ${'file' in where ? where.file : `docker-credential-${where.helper}`})\n` : 'Login Succeeded!\n');
  });
}

export function logoutCommand() {
  return new Command('logout')
    .description('Remove stored credentials for a registry')
    .argument('[registry]', 'registry host (or host/namespace)')
    .option('-a, --all', 'remove the credentials of every registry in the auth file (nothing stored is not an error)')
    .option('--authfile <path>', 'auth file to edit')
    .option('--compat-auth-file <path>', 'Docker-style config.json to edit instead of the auth file')
    .addOption(new Option('--tls-verify [bool]', 'accepted for skopeo\'s scripts: logout makes no connection').argParser(parseBool))
    .action(async (registry, opts) => {
      if (!registry && !opts.all) throw new TugError('USAGE', 'name a registry or pass --all');
      const key = registry ? normalizeLoginTarget(registry).key : '';
      const removed = await removeCredentials(key, { authFile: authFileOf(opts), all: opts.all === true });
      // skopeo logout --all succeeds with nothing stored: the end state is the one asked for.
      if (!removed && !opts.all) throw new TugError('NOT_FOUND', `not logged into ${key}`);
      process.stdout.write(opts.all ? 'Removed login credentials for all registries\n' : `Removed login credentials for ${key}\n`);
    });
}

/** --authfile or --compat-auth-file (both write the same "auths" JSON); not both. */
function authFileOf(opts: { authfile?: string | undefined; compatAuthFile?: string | undefined }): string | undefined {
  if (opts.authfile !== undefined && opts.compatAuthFile !== undefined) throw new TugError('USAGE', '--authfile and --compat-auth-file conflict', { hint: 'use one of them' });
  return opts.compatAuthFile ?? opts.authfile;
}
