/**
 * `tug`: the command-line entry point. Parses flags, runs one command, and is
 * the one place that turns errors into a single line and an exit code:
 * 0 ok, 1 failure, 2 usage or unsafe input, 3 integrity, 4 transient errors
 * that outlived retries, 5 authentication / TLS.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { ExitCode, errorText, exitCodeFor, redactSecrets } from '../errors/index.ts';
import { applyCommand } from './commands/apply.ts';
import { copyCommand } from './commands/copy.ts';
import { deleteCommand } from './commands/delete.ts';
import { getCommand } from './commands/get.ts';
import { inspectCommand } from './commands/inspect.ts';
import { listTagsCommand } from './commands/list-tags.ts';
import { loginCommand, logoutCommand } from './commands/login.ts';
import { manifestDigestCommand } from './commands/manifest-digest.ts';
import { saveCommand } from './commands/save.ts';
import { serveCommand } from './commands/serve.ts';
import { syncCommand } from './commands/sync.ts';
import { verifyCommand } from './commands/verify.ts';
import { addGlobalFlags } from './options.ts';

export function buildProgram() {
  const program = addGlobalFlags(
    new Command('tug')
      .description('Tugboat: copy, sync and inspect container images across registries and offline layouts')
      .version('0.1.0', '-v, --version'),
  )
    .showHelpAfterError('(run "tug help COMMAND" for the flags of a command)')
    .exitOverride();
  const globals = () => program.opts();
  const commands = [
    copyCommand(globals),
    syncCommand(globals),
    saveCommand(globals),
    verifyCommand(globals),
    inspectCommand(globals),
    listTagsCommand(globals),
    deleteCommand(globals),
    manifestDigestCommand(),
    loginCommand(globals),
    logoutCommand(),
    serveCommand(),
    applyCommand(),
    getCommand(),
  ];
  for (const c of commands) program.addCommand(c.exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version "errors" are successes; commander already printed usage errors.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const debug = program.opts().debug;
    const message = errorText(err);
    process.stderr.write(`tug: error: ${redactSecrets(message)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${redactSecrets(err.stack)}\n`);
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv.slice(2));
