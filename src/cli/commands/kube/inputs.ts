/**
 * What the `tug kube` subcommands share: the mapping rules (`-f SYNC_FILE`
 * or `--map FROM=TO`) and reading YAML inputs (`-` is stdin).
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { TugError } from '../../../errors/index.ts';
import type { KubeInput, KubeProblem } from '../../../kube/images.ts';
import { problemText } from '../../../kube/images.ts';
import { type Mapper, mapperFromRules, mapperFromSpec, mappingRulesFromFlags } from '../../../kube/mapper.ts';
import type { SyncSpec } from '../../../sync/spec.ts';

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Reads a sync file for its mappings. Passwords are not needed for that, so
 * an unset `passwordEnv` variable is not an error here (the value is never
 * used); with `passwords` they are read as `tug sync` reads them.
 */
export async function loadSpec(file: string, options: { passwords?: boolean } = {}): Promise<SyncSpec> {
  const { loadSyncSpec } = await import('../../../sync/config/index.ts');
  const env = options.passwords ? process.env : new Proxy(process.env, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? 'unused-by-tug-kube') : undefined) });
  return loadSyncSpec([file], { env });
}

/** The mapper of `-f FILE` or `--map` flags (exactly one of them). */
export async function loadMapper(opts: { file?: string | undefined; map?: string[] | undefined; dest?: string | undefined; scoped?: boolean | undefined }): Promise<{ mapper: Mapper; spec?: SyncSpec | undefined; from: string }> {
  const maps = opts.map ?? [];
  if (opts.file && maps.length > 0) throw new TugError('USAGE', 'give either -f SYNC_FILE or --map FROM=TO, not both');
  if (opts.file) {
    const spec = await loadSpec(opts.file);
    return { mapper: mapperFromSpec(spec, { prefix: opts.dest, scoped: opts.scoped }), spec, from: opts.file };
  }
  if (opts.dest !== undefined) throw new TugError('USAGE', '--dest applies to -f SYNC_FILE', { hint: 'with --map, the mapping names the destination' });
  if (maps.length === 0) throw new TugError('USAGE', 'no mappings', { hint: 'give -f SYNC_FILE (e.g. examples/openyurt-1.6.sync.yaml) or --map "docker.io/openyurt/*=registry.example.com/edge/*"' });
  return { mapper: mapperFromRules(mappingRulesFromFlags(maps)), from: maps.map((m) => `--map ${m}`).join(' ') };
}

/** Reads each input (`-` = stdin, read once); no inputs = stdin. */
export async function readInputs(files: readonly string[]): Promise<KubeInput[]> {
  const names = files.length === 0 ? ['-'] : files;
  if (names.filter((f) => f === '-').length > 1) throw new TugError('USAGE', 'standard input (-) given more than once');
  const out: KubeInput[] = [];
  for (const file of names) {
    if (file === '-') {
      out.push({ file: '-', text: await text(process.stdin) });
      continue;
    }
    try {
      out.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TugError(code === 'ENOENT' || code === 'EISDIR' ? 'USAGE' : 'IO', `cannot read "${file}": ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`, { cause: err });
    }
  }
  return out;
}

/** Prints the problems on stderr and fails with USAGE when there are any. */
export function failOnProblems(problems: readonly KubeProblem[]): void {
  if (problems.length === 0) return;
  for (const p of problems) process.stderr.write(`${problemText(p)}\n`);
  throw new TugError('USAGE', `${problems.length} problem${problems.length === 1 ? '' : 's'} in the input, nothing written`, { hint: 'fix the places named above' });
}
