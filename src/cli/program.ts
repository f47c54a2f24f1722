/**
 * The `tug` program: its global flags and the table of commands. A command's
 * module (and the engine it imports) loads only when that command runs, so
 * `tug inspect` never loads sync or the server; help and completion load
 * them all, reading flags off the same definitions.
 */
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { longRun } from '../runtime/long-run.ts';
import { EXIT_CODES_HELP } from './exit-codes.ts';
import { type GlobalOptions, addGlobalFlags, useGlobals } from './options.ts';
import { setDebug } from './transport-events.ts';
import { SKOPEO_COMMANDS, type SkopeoCommand, addRefusedFlags } from './skopeo-flags.ts';

type Globals = () => GlobalOptions;
type Program = ReturnType<typeof baseProgram>;

interface CommandEntry {
  name: string;
  /** The command reads the whole program (completion): every command is loaded with it. */
  needsAll?: boolean;
  /**
   * The command moves or hashes whole image sets: V8's long-run memory
   * settings go on as it loads (runtime/long-run.ts). Other commands get them
   * at their first blob streamed or undici pool, if ever; these get them
   * before any of that, because some of their work (a bundle's checksums,
   * its parts written) is neither: in bench f, bundle create peaked at 112-113
   * MiB and bundle apply at 107-109 with the settings set at undici's first
   * use, 98-99 and 95 with them on from the start.
   */
  longRun?: boolean;
  load(globals: Globals, program: () => CommandUnknownOpts): Promise<CommandUnknownOpts | CommandUnknownOpts[]>;
}

/** One row per command (its module exports a function that builds it); help lists them in this order. */
const COMMANDS: readonly CommandEntry[] = [
  { name: 'copy', load: async (g) => (await import('./commands/copy.ts')).copyCommand(g) },
  { name: 'sync', longRun: true, load: async (g) => (await import('./commands/sync.ts')).syncCommand(g) },
  { name: 'save', longRun: true, load: async (g) => (await import('./commands/save.ts')).saveCommand(g) },
  { name: 'bundle', longRun: true, load: async (g) => (await import('./commands/bundle.ts')).bundleCommand(g) },
  { name: 'verify', longRun: true, load: async (g) => (await import('./commands/verify.ts')).verifyCommand(g) },
  { name: 'inspect', load: async (g) => (await import('./commands/inspect.ts')).inspectCommand(g) },
  { name: 'list-tags', load: async (g) => (await import('./commands/list-tags.ts')).listTagsCommand(g) },
  { name: 'delete', load: async (g) => (await import('./commands/delete.ts')).deleteCommand(g) },
  { name: 'manifest-digest', load: async () => (await import('./commands/manifest-digest.ts')).manifestDigestCommand() },
  { name: 'login', load: async (g) => (await import('./commands/login.ts')).loginCommand(g) },
  { name: 'logout', load: async () => (await import('./commands/login.ts')).logoutCommand() },
  { name: 'serve', load: async () => (await import('./commands/serve.ts')).serveCommand() },
  { name: 'apply', load: async () => (await import('./commands/apply.ts')).applyCommand() },
  { name: 'get', load: async () => (await import('./commands/get.ts')).getCommand() },
  { name: 'kube', load: async (g) => (await import('./commands/kube.ts')).kubeCommand(g) },
  { name: 'completion', needsAll: true, load: async (_g, p) => (await import('./commands/completion.ts')).completionCommand(p) },
];

/** The names of every command, in help order. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

function baseProgram() {
  const program = addGlobalFlags(
    new Command('tug')
      .description('Tugboat: copy, sync and inspect container images across registries and offline layouts')
      .version('0.1.0', '-v, --version'),
  )
    .showHelpAfterError('(run "tug help COMMAND" for the flags of a command)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .exitOverride();
  program.hook('preAction', async () => {
    const g = program.opts() as GlobalOptions;
    useGlobals(g);
    setDebug(g.debug === true);
    // Honoured or refused, never ignored: see signature/registries-d.ts.
    if (g.registriesD !== undefined) await (await import('../signature/registries-d.ts')).checkRegistriesD(g.registriesD);
  });
  return addRefusedFlags(program, 'global');
}

/** The program without its commands: enough to find the command name in argv. */
export function emptyProgram(): Program {
  return baseProgram();
}

/**
 * The program with `only` (a command name) or, when undefined or unknown,
 * every command (for help, completion, and commander's own
 * "unknown command" suggestions). The commands go into `program` when given
 * (the {@link emptyProgram} that found the command name: one set of global
 * flags built per start, not two).
 */
export async function buildProgram(only?: string, program: Program = baseProgram()): Promise<Program> {
  // The attribute of --registries.d is renamed in options.ts; the type follows it there.
  const globals: Globals = () => program.opts() as GlobalOptions;
  const entry = COMMANDS.find((c) => c.name === only);
  const wanted = entry && !entry.needsAll ? [entry] : COMMANDS;
  for (const command of wanted) {
    const built = await command.load(globals, () => program as CommandUnknownOpts);
    for (const c of Array.isArray(built) ? built : [built]) {
      if (SKOPEO_COMMANDS.includes(c.name() as SkopeoCommand)) addRefusedFlags(c, c.name() as SkopeoCommand);
      program.addCommand(c.exitOverride());
    }
  }
  if (wanted.length === 1 && entry?.longRun) longRun();
  return program;
}
