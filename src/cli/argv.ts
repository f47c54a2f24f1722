/**
 * What commander needs done to argv before it can read a skopeo command
 * line. cobra/pflag (skopeo) and commander differ in two ways scripts rely on:
 *
 * - every pflag boolean takes `--x=true` / `--x=false`; commander's take no
 *   value, so `--all=false` would be "unknown option";
 * - a command's own short flag shadows the program's (`skopeo login -v` is
 *   --verbose, `skopeo -v` the version); commander lets the program's win.
 *
 * Both are rewritten here from the options the program declares, so no list
 * of flags is kept twice.
 */
import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { TugError } from '../errors/index.ts';

const takesValue = (o: Option) => o.required || o.optional;

function findOption(cmd: CommandUnknownOpts, name: string): Option | undefined {
  return cmd.options.find((o) => o.long === name || o.short === name) as Option | undefined;
}

/**
 * Where the command name is in `argv` (the first word that is neither an
 * option of the program nor the value of one), or -1.
 */
export function commandIndex(argv: readonly string[], program: CommandUnknownOpts): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return -1;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (arg.includes('=')) continue;
    const o = findOption(program, arg);
    if (o?.required) i++;
  }
  return -1;
}

/**
 * argv with skopeo's boolean values and shadowed short flags rewritten for
 * commander (`--x=true` -> `--x`; `--x=false` -> nothing, the default of
 * every such flag; the command's `-v` -> its long name). A boolean given
 * another value is refused with one line.
 */
export function normalizeArgv(argv: readonly string[], program: CommandUnknownOpts, command: CommandUnknownOpts | undefined): string[] {
  const at = commandIndex(argv, program);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const scope = command && i > at && at >= 0 ? [command, program] : [program];
    const eq = /^(--[^=]+)=(.*)$/s.exec(arg);
    if (eq) {
      const o = scope.map((c) => findOption(c, eq[1]!)).find((x) => x !== undefined);
      if (o && !takesValue(o)) {
        const value = eq[2]!;
        if (value === 'true') out.push(eq[1]!);
        else if (value !== 'false') throw new TugError('USAGE', `${eq[1]} takes true or false, got "${value}"`, { hint: `write ${eq[1]} or ${eq[1]}=false` });
        continue;
      }
    }
    // A tri-state boolean (`--tls-verify [bool]`) written bare: pflag never
    // takes the next word as its value (`--dest-tls-verify docker://a
    // docker://b`), commander would, and refuse it; a `true` or `false`
    // after it stays its value, as commander reads it.
    if (!eq && arg.startsWith('--') && argv[i + 1] !== 'true' && argv[i + 1] !== 'false') {
      const o = scope.map((c) => findOption(c, arg)).find((x) => x !== undefined);
      if (o?.optional && o.flags.endsWith(' [bool]')) {
        out.push(`${arg}=true`);
        continue;
      }
    }
    if (command && i > at && at >= 0 && /^-[a-zA-Z]$/.test(arg)) {
      const own = findOption(command, arg);
      if (own?.long && findOption(program, arg)) {
        out.push(own.long);
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}
