/**
 * `tug completion bash|zsh|fish`: a completion script for the shell, written
 * from the program itself (its commands, each command's flags and their
 * choices), so it never lists a flag tug no longer has. Image arguments
 * complete transport prefixes, and after `oci:`, `dir:`, `oci-archive:`,
 * `docker-archive:` and `registry-dir:` local paths through the shell's own
 * file completion.
 */
import { Command, type CommandUnknownOpts, type Option } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';

/** What an image argument may start with (transports/index.ts names them; docker:// is written with its slashes). */
export const TRANSPORT_PREFIXES = ['docker://', 'oci:', 'dir:', 'oci-archive:', 'docker-archive:', 'docker-daemon:', 'registry-dir:'] as const;
/** Prefixes followed by a local path. */
const PATH_PREFIXES = ['oci:', 'dir:', 'oci-archive:', 'docker-archive:', 'registry-dir:'];

interface Spec {
  name: string;
  description: string;
  /** Flags as written: long and short. */
  flags: { names: string[]; description: string; takesValue: boolean; choices: readonly string[] | undefined }[];
}

function visible(cmd: CommandUnknownOpts): Spec['flags'] {
  return (cmd.options as readonly Option[])
    .filter((o) => !o.hidden)
    .map((o) => ({
      names: [o.long, o.short].filter((n): n is string => typeof n === 'string'),
      description: o.description,
      takesValue: o.required || o.optional,
      choices: o.argChoices,
    }));
}

function specs(program: CommandUnknownOpts): { globals: Spec['flags']; commands: Spec[] } {
  return {
    globals: visible(program),
    commands: program.commands.filter((c) => c.name() !== 'help').map((c) => ({ name: c.name(), description: c.description(), flags: visible(c) })),
  };
}

const words = (list: readonly string[]) => list.join(' ');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(program: CommandUnknownOpts): string {
  const { globals, commands } = specs(program);
  const flagWords = (flags: Spec['flags']) => words(flags.flatMap((f) => f.names));
  const valueFlags = [...globals, ...commands.flatMap((c) => c.flags)].filter((f) => f.takesValue && !f.choices).flatMap((f) => f.names);
  const choiceCases = [...globals, ...commands.flatMap((c) => c.flags)]
    .filter((f) => f.choices)
    .map((f) => `    ${f.names.join('|')}) COMPREPLY=($(compgen -W ${quote(words(f.choices ?? []))} -- "$cur")); return ;;`);
  const uniqueChoiceCases = [...new Set(choiceCases)];
  return `# tug completion for bash. Load it with:  source <(tug completion bash)
_tug() {
  local cur prev cmd i
  COMPREPLY=()
  # The word under the cursor with its colons (bash splits "oci:/x" at ":").
  if [[ -n "\${COMP_LINE-}" ]]; then
    cur="\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}"
    cur="\${cur##*[[:space:]]}"
  else
    cur="\${COMP_WORDS[COMP_CWORD]}"
  fi
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  [[ "$prev" == ":" ]] && prev="\${COMP_WORDS[COMP_CWORD-2]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${words(commands.map((c) => c.name)).replace(/ /g, '|')}) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
${uniqueChoiceCases.join('\n')}
    ${valueFlags.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  local flags=${quote(flagWords(globals))}
  case "$cmd" in
    "") COMPREPLY=($(compgen -W "${words(commands.map((c) => c.name))} $flags" -- "$cur")); return ;;
${commands.map((c) => `    ${c.name}) flags="$flags "${quote(flagWords(c.flags))} ;;`).join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    case "$cur" in
      ${PATH_PREFIXES.map((p) => `${p}*`).join('|')})
        local prefix="\${cur%%:*}:"
        COMPREPLY=($(compgen -f -- "\${cur#*:}"))
        COMPREPLY=("\${COMPREPLY[@]/#/$prefix}") ;;
      *) COMPREPLY=($(compgen -W ${quote(words(TRANSPORT_PREFIXES))} -- "$cur")) ;;
    esac
    # bash replaces only the part after the last ":" of the word: drop what is before it.
    if [[ "$cur" == *:* ]]; then
      local colon="\${cur%"\${cur##*:}"}"
      COMPREPLY=("\${COMPREPLY[@]#"$colon"}")
    fi
    compopt -o nospace 2>/dev/null
  fi
}
complete -F _tug tug
`;
}

function zsh(program: CommandUnknownOpts): string {
  // zsh runs bash completion functions through bashcompinit: one script to keep right.
  return `#compdef tug
# tug completion for zsh. Load it with:  source <(tug completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(program).replace(/^# tug completion for bash.*\n/, '')}`;
}

function fish(program: CommandUnknownOpts): string {
  const { globals, commands } = specs(program);
  const names = words(commands.map((c) => c.name));
  const line = (condition: string, f: Spec['flags'][number]) => {
    const parts = f.names.map((n) => (n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`));
    const value = f.choices ? ` -x -a ${quote(words(f.choices))}` : f.takesValue ? ' -r -F' : '';
    return `complete -c tug${condition} ${parts.join(' ')}${value} -d ${quote(f.description.slice(0, 80))}`;
  };
  return [
    '# tug completion for fish. Load it with:  tug completion fish | source',
    'complete -c tug -f',
    ...commands.map((c) => `complete -c tug -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${quote(c.description.slice(0, 80))}`),
    ...globals.map((f) => line('', f)),
    ...commands.flatMap((c) => c.flags.map((f) => line(` -n "__fish_seen_subcommand_from ${c.name}"`, f))),
    `complete -c tug -n "__fish_seen_subcommand_from ${names}; and not string match -q -- '-*' (commandline -ct)" -a ${quote(words(TRANSPORT_PREFIXES))}`,
    `complete -c tug -n "string match -q -r -- '^(${PATH_PREFIXES.map((p) => p.slice(0, -1)).join('|')}):' (commandline -ct)" -a "(string replace -r -- '^([a-z-]+:).*' '\\$1' (commandline -ct))(__fish_complete_path (string replace -r -- '^[a-z-]+:' '' (commandline -ct)))"`,
    '',
  ].join('\n');
}

const SHELLS = { bash, zsh, fish } as const;

export function completionCommand(program: () => CommandUnknownOpts) {
  return new Command('completion')
    .description('Print a shell completion script: source <(tug completion bash)')
    .argument('<shell>', `one of ${Object.keys(SHELLS).join(', ')}`)
    .action((shell) => {
      const write = SHELLS[shell as keyof typeof SHELLS] as ((p: CommandUnknownOpts) => string) | undefined;
      if (!Object.hasOwn(SHELLS, shell) || !write) throw new TugError('USAGE', `no completion for shell "${shell}"`, { hint: `use one of ${Object.keys(SHELLS).join(', ')}` });
      process.stdout.write(write(program()));
    });
}
