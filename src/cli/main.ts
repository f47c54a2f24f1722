/**
 * `tug`: the command-line entry point. Builds the program for the command
 * asked for (program.ts), runs it, and is the one place that turns errors
 * into a single line and an exit code: 0 ok, 1 failure, 2 usage or unsafe
 * input, 3 integrity, 4 transient errors that outlived retries, 5
 * authentication / TLS (exit-codes.ts says it for script authors).
 */
import { ExitCode, errorText, exitCodeFor, redactSecrets } from '../errors/index.ts';
import { shortenOwnResolution } from './module-resolve.ts';

export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug') || argv.includes('--debug=true');
  // Imported here, not at the top: every module from here on resolves
  // through module-resolve.ts's shorter path, installed just before main runs.
  const [{ CommanderError }, { commandIndex, normalizeArgv }, { buildProgram, emptyProgram }] = await Promise.all([
    import('@commander-js/extra-typings'),
    import('./argv.ts'),
    import('./program.ts'),
  ]);
  try {
    const base = emptyProgram();
    const at = commandIndex(argv, base);
    // `tug --version` needs no command; help and completion need them all.
    const versionOnly = at < 0 && (argv.includes('-v') || argv.includes('--version'));
    const program = versionOnly ? base : await buildProgram(at >= 0 ? argv[at] : undefined, base);
    const command = at >= 0 ? program.commands.find((c) => c.name() === argv[at]) : undefined;
    const args = normalizeArgv(argv, program, command);
    try {
      await program.parseAsync(args, { from: 'user' });
    } finally {
      debug = program.opts().debug === true;
    }
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version "errors" are successes; commander already printed usage errors.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    process.stderr.write(`tug: error: ${redactSecrets(errorText(err))}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${redactSecrets(err.stack)}\n`);
    return exitCodeFor(err);
  }
}

// Before any module of the program loads (module-resolve.ts says why).
shortenOwnResolution();
process.exitCode = await main(process.argv.slice(2));
