/**
 * The layering of STYLE.md, held by a test: which directory of src/ may
 * import which. An arrow the other way is a design smell caught here, not in
 * review (go-containerregistry keeps such a test for its registry).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/tmp.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

/** `transports/docker` for SRC/transports/docker/x.ts, `copy` for SRC/copy/x.ts, `.` for SRC/index.ts. */
function area(srcDir: string, file: string): string {
  const parts = relative(srcDir, file).split('/');
  if (parts.length === 1) return '.';
  return parts[0] === 'transports' && parts.length > 2 ? `transports/${parts[1]}` : parts[0]!;
}

function importsOf(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const out: { target: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm)) out.push({ target: resolve(dirname(file), m[3]!), typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/import\('(\.[^']+)'\)/g)) out.push({ target: resolve(dirname(file), m[1]!), typeOnly: false });
  return out;
}

/**
 * The layers, bottom first: each may import only layers before it. The
 * transports tree is one layer (its folders share types.ts and the helpers
 * in archive/; index.ts is the table of all of them).
 */
const layers = [
  'runtime',
  'errors',
  'context',
  'reference',
  'oci',
  'fs',
  'credentials',
  'registries-conf',
  'distribution',
  'transports',
  'signature',
  'copy',
  'inspect',
  'sync',
  'kube',
  'bundle',
  'api',
  'store',
  'registry-access',
  'scheduler',
  'server',
  '.',
  'cli',
] as const;

/**
 * For each area, the areas it may import (besides itself); `*` (the top
 * layer only): anything. `transports` is the files directly in
 * src/transports/ and every transport folder but docker/, the only one that
 * talks to distribution/.
 */
const allowed: Record<string, string[]> = {
  runtime: [],
  errors: [],
  context: [],
  reference: ['errors'],
  oci: ['errors', 'reference'],
  fs: ['errors', 'reference', 'runtime'],
  credentials: ['errors', 'context', 'fs'],
  'registries-conf': ['errors', 'reference', 'fs'],
  distribution: ['runtime', 'errors', 'context', 'reference', 'oci', 'credentials', 'registries-conf'],
  transports: ['errors', 'context', 'reference', 'oci', 'fs', 'transports', 'transports/*'],
  'transports/docker': ['errors', 'context', 'reference', 'oci', 'transports', 'registries-conf', 'distribution'],
  signature: ['errors', 'context', 'reference', 'oci', 'fs', 'transports'],
  copy: ['runtime', 'errors', 'context', 'reference', 'oci', 'transports', 'signature'],
  inspect: ['errors', 'context', 'reference', 'oci', 'transports'],
  sync: ['errors', 'context', 'reference', 'oci', 'transports', 'signature', 'copy', 'inspect'],
  kube: ['errors', 'context', 'reference', 'credentials', 'transports', 'sync'],
  bundle: ['errors', 'context', 'reference', 'oci', 'fs', 'transports', 'sync'],
  api: ['errors', 'context', 'oci'],
  store: ['errors', 'api'],
  'registry-access': ['errors', 'context', 'api'],
  scheduler: ['errors', 'context', 'reference', 'oci', 'transports', 'signature', 'copy', 'inspect', 'sync', 'api', 'store', 'registry-access'],
  server: ['runtime', 'errors', 'context', 'reference', 'oci', 'transports', 'copy', 'inspect', 'api', 'store', 'registry-access', 'scheduler', 'distribution', 'sync'],
  '.': ['errors', 'context', 'reference', 'oci', 'credentials', 'distribution', 'transports', 'copy', 'inspect', 'sync'],
  cli: ['*'],
};

/** The rule that applies to an area: transport folders other than docker/ share `transports`'. */
function ruleOf(from: string): string {
  return from.startsWith('transports/') && from !== 'transports/docker' ? 'transports' : from;
}

/** The layer an area or rule entry belongs to (`transports/*` and `transports/x`: `transports`). */
function layerOf(name: string): string {
  return name.startsWith('transports/') ? 'transports' : name;
}

function permitted(table: Record<string, string[]>, from: string, to: string): boolean {
  if (from === to) return true;
  const rules = table[ruleOf(from)];
  if (!rules) return false;
  if (rules.includes('*')) return true;
  if (rules.includes(to)) return true;
  if (to.startsWith('transports/') && rules.includes('transports/*')) return true;
  return false;
}

/** Every import under `srcDir` that `table` does not allow, as `file imports target (from -> to)`. */
function violations(srcDir: string, table: Record<string, string[]> = allowed): string[] {
  const out: string[] = [];
  for (const file of files(srcDir)) {
    const from = area(srcDir, file);
    for (const { target } of importsOf(file)) {
      if (!target.startsWith(srcDir + sep)) continue;
      const to = area(srcDir, target);
      if (!permitted(table, from, to)) out.push(`${relative(srcDir, file)} imports ${relative(srcDir, target)} (${from} -> ${to})`);
    }
  }
  return out;
}

/** Entries of `table` that point up (or sideways into another layer), and `*` anywhere but the top layer. */
function upwardRules(table: Record<string, string[]>): string[] {
  const rank = (name: string) => (layers as readonly string[]).indexOf(layerOf(name));
  const out: string[] = [];
  for (const [from, targets] of Object.entries(table)) {
    for (const to of targets) {
      if (to === '*') {
        if (rank(from) !== layers.length - 1) out.push(`${from} -> *`);
      } else if (rank(to) === -1 || rank(from) === -1 || (rank(to) >= rank(from) && layerOf(to) !== layerOf(from))) {
        out.push(`${from} -> ${to}`);
      }
    }
  }
  return out;
}

test('every import in src/ follows the layering of STYLE.md', () => {
  assert.deepEqual(violations(src), []);
});

test('the allowed table has no upward arrow: every entry points to a lower layer', () => {
  assert.deepEqual(upwardRules(allowed), []);
});

test('every directory of src/ has a rule and a place in the layers', () => {
  for (const file of files(src)) {
    const from = ruleOf(area(src, file));
    assert.ok(from in allowed, `${relative(root, file)}: no rule for ${from} in the allowed table`);
    assert.ok((layers as readonly string[]).includes(layerOf(from)), `${relative(root, file)}: ${from} is not in the layers`);
  }
});

test('the checker catches a planted upward import, and an upward rule added to the table', (t) => {
  // A synthetic tree: upward arrows of the kind issue 11 removed
  // (credentials/ into transports/, distribution/ into server/), a transport
  // other than docker/ talking to distribution/, and downward arrows that pass.
  const tree = tempDir(t, 'tug-arch-');
  const plant = (path: string, text: string) => {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  };
  plant('credentials/auth-file.ts', "import type { Credentials } from '../transports/types.ts';\nimport { ioError } from '../fs/io.ts';\n");
  plant('distribution/client.ts', "import type { SystemContext } from '../context/system-context.ts';\nexport const app = () => import('../server/app.ts');\n");
  plant('transports/types.ts', "export type { SystemContext } from '../context/system-context.ts';\n");
  plant('transports/dir/dir-source.ts', "import { x } from '../../distribution/client.ts';\n");
  plant('server/app.ts', "import { registryAccess } from '../registry-access/registry-access.ts';\n");
  plant('context/system-context.ts', 'export interface SystemContext {}\n');
  plant('fs/io.ts', 'export function ioError() {}\n');
  plant('registry-access/registry-access.ts', 'export function registryAccess() {}\n');
  assert.deepEqual(violations(tree).sort(), [
    'credentials/auth-file.ts imports transports/types.ts (credentials -> transports)',
    'distribution/client.ts imports server/app.ts (distribution -> server)',
    'transports/dir/dir-source.ts imports distribution/client.ts (transports/dir -> distribution)',
  ]);
  // The exceptions the table used to carry are refused if someone adds them back.
  const loosened = { ...allowed, credentials: [...allowed.credentials!, 'transports'], distribution: [...allowed.distribution!, 'transports'], store: ['*'] };
  assert.deepEqual(upwardRules(loosened), ['credentials -> transports', 'distribution -> transports', 'store -> *']);
});

test('the copy engine sees transports only through their interfaces', () => {
  for (const file of files(join(src, 'copy'))) {
    for (const { target } of importsOf(file)) {
      if (!target.includes('/transports/')) continue;
      assert.ok(target.endsWith('/transports/types.ts'), `${relative(root, file)} imports ${relative(root, target)}`);
    }
  }
});

test('the console talks to the server over HTTP only', () => {
  const web = join(root, 'web', 'src');
  const sources = files(web);
  assert.ok(sources.length > 0, 'web/src has the console');
  for (const file of sources) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'((?:\.\.\/)+src\/[^']+)'/g)) {
      // The API contract (src/api: its types and pure validators) is shared; server code is not.
      assert.match(m[1]!, /src\/api\/[a-z-]+\.ts$/, `${relative(root, file)} imports ${m[1]}`);
    }
  }
});
