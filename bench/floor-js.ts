/**
 * The floors (bench/floor-*.ts) run as plain JavaScript, as tug runs its
 * compiled dist/: through Node's type stripping a script pays ~0.15 s of CPU
 * at start (0.28 s vs 0.12 s for an empty one, measured on the bench
 * machine) that no real tool pays, which flattered every ratio against a
 * floor. Each floor is bundled once per bench run with esbuild (its
 * packages inside, so the bundle runs from the run's work directory).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const built = new Map<string, string>();

/** The path of `bench/<name>.ts` bundled as an ES module under `workDir`, built on first use. */
export function floorScript(name: 'floor-inspect' | 'floor-noop' | 'floor-sync' | 'floor-copy', workDir: string): string {
  const key = `${workDir}\0${name}`;
  const cached = built.get(key);
  if (cached) return cached;
  const outfile = join(workDir, `${name}.mjs`);
  buildSync({
    entryPoints: [fileURLToPath(new URL(`${name}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'error',
    // undici is CommonJS: give its require() calls a require in the ES module.
    banner: { js: "import { createRequire as __floorRequire } from 'node:module'; const require = __floorRequire(import.meta.url);" },
  });
  built.set(key, outfile);
  return outfile;
}
