/**
 * bin/tug.js's choice between dist/ and src/: dist/ only while its build
 * stamp is at least as new as every file under src/, so an edited checkout
 * never runs stale code. Run on a copy of the shim in a temporary tree whose
 * dist/ and src/ entry points only say which of them ran.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../../scripts/dist.ts';
import { tempDir } from '../support/tmp.ts';

const run = promisify(execFile);

/** A tree with bin/tug.js, dist/cli/main.js, src/cli/main.ts and a nested src file; every mtime `base`. */
function tree(t: Parameters<typeof tempDir>[0], base: Date): string {
  const root = tempDir(t, 'tug-shim-');
  for (const dir of ['bin', 'dist/cli', 'src/cli', 'src/deep/er']) mkdirSync(join(root, dir), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'tug.js'), join(root, 'bin', 'tug.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), "process.stdout.write('dist');\n");
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), "process.stdout.write('src' as string);\n");
  writeFileSync(join(root, 'src', 'deep', 'er', 'leaf.ts'), 'export {};\n');
  for (const f of ['dist/cli/main.js', 'src/cli/main.ts', 'src/deep/er/leaf.ts']) utimesSync(join(root, f), base, base);
  return root;
}

const ran = async (root: string) => (await run(process.execPath, [join(root, 'bin', 'tug.js')])).stdout;

test('bin/tug.js runs dist/ when its stamp is newer than every source, src/ as soon as one is edited', async (t) => {
  const base = new Date(Date.now() - 60_000);
  const root = tree(t, base);
  const stamp = join(root, 'dist', '.build-stamp');
  writeFileSync(stamp, 'built');
  utimesSync(stamp, new Date(base.getTime() + 1000), new Date(base.getTime() + 1000));
  assert.equal(await ran(root), 'dist');
  // An edit in place deep in src/ changes no directory's mtime: the file's own is what counts.
  utimesSync(join(root, 'src', 'deep', 'er', 'leaf.ts'), new Date(base.getTime() + 2000), new Date(base.getTime() + 2000));
  assert.equal(await ran(root), 'src');
});

test('bin/tug.js runs src/ when dist/ was never stamped', async (t) => {
  const root = tree(t, new Date(Date.now() - 60_000));
  assert.equal(await ran(root), 'src');
});
