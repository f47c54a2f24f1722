/**
 * src/runtime/long-run.ts: the V8 flags that would invalidate Node's
 * built-in code cache stay out of bin/tug.js's shebang, and a long run
 * (undici's first use, the first blob streamed) switches them on.
 *
 * V8 tells whether two flag sets hash alike through a code cache: data made
 * by `vm.Script#createCachedData()` under one set is rejected under another
 * (`cachedDataRejected`), the check that made every command compile Node's
 * own modules from source while these flags were on the command line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT, shebangNodeFlags } from '../../scripts/dist.ts';
import { LONG_RUN_FLAGS } from '../../src/runtime/long-run.ts';

const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const SOURCE = 'function probe(a, b) { return a + b; } probe(1, 2);';

/** Runs an ES module text under `flags`; its stdout, trimmed. */
function node(flags: readonly string[], module: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(NODE, [...flags, '--input-type=module', '-e', module], { encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

/** Code cache for SOURCE made by a Node with V8's default flags, base64. */
function defaultCache(): string {
  return node([], `import { Script } from 'node:vm'; process.stdout.write(new Script(${JSON.stringify(SOURCE)}).createCachedData().toString('base64'));`);
}

/** A module text that prints whether `cache` (base64, in $CACHE) is still accepted, after running `before`. */
function accepted(before = ''): string {
  return `import { Script } from 'node:vm';
${before}
const script = new Script(${JSON.stringify(SOURCE)}, { cachedData: Buffer.from(process.env.CACHE, 'base64') });
console.log(script.cachedDataRejected ? 'rejected' : 'accepted');`;
}

test("bin/tug.js's shebang flags keep a code cache made under V8's defaults (Node's built-in modules' own) valid", () => {
  const flags = shebangNodeFlags();
  for (const flag of LONG_RUN_FLAGS) assert.ok(!flags.includes(flag), `${flag} is switched on at run time, not in the shebang`);
  const env = { CACHE: defaultCache() };
  assert.equal(node(flags, accepted(), env), 'accepted', `under ${flags.join(' ')}`);
  // The check can tell: the long-run flags on the command line are what made every command compile node:http & co from source.
  assert.equal(node([...flags, ...LONG_RUN_FLAGS], accepted(), env), 'rejected');
});

test('a long run switches the settings on: the first undici pool, the first blob streamed; importing alone does not', () => {
  const flags = shebangNodeFlags();
  const env = { CACHE: defaultCache() };
  const undici = pathToFileURL(join(ROOT, 'src', 'distribution', 'undici.ts')).href;
  const scavenge = pathToFileURL(join(ROOT, 'src', 'runtime', 'scavenge.ts')).href;
  assert.equal(node(flags, accepted(`await import(${JSON.stringify(undici)}); await import(${JSON.stringify(scavenge)});`), env), 'accepted');
  assert.equal(node(flags, accepted(`const { Agent } = await import(${JSON.stringify(undici)}); new Agent().close();`), env), 'rejected');
  assert.equal(node(flags, accepted(`const { streamed } = await import(${JSON.stringify(scavenge)}); streamed(1);`), env), 'rejected');
});
