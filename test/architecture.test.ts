/**
 * The layering of STYLE.md, held by a test: which directory of src/ may
 * import which. An arrow the other way is a design smell caught here, not in
 * review (go-containerregistry keeps such a test for its registry).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(p) ? [p] : [];
  });
}

/** `transports/docker` for src/transports/docker/x.ts, `copy` for src/copy/x.ts. */
function area(file: string): string {
  const parts = relative(src, file).split('/');
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

/** For each area, the areas it may import (besides itself). `transports` is transports/types.ts, fs-util.ts and index.ts. */
const allowed: Record<string, string[]> = {
  errors: [],
  reference: ['errors'],
  oci: ['errors', 'reference'],
  credentials: ['errors', 'reference', 'transports'],
  distribution: ['errors', 'reference', 'oci', 'credentials', 'transports'],
  'transports/docker': ['errors', 'reference', 'oci', 'transports', 'distribution'],
  transports: ['errors', 'reference', 'oci', 'transports', 'transports/*'],
  copy: ['errors', 'reference', 'oci', 'transports'],
  inspect: ['errors', 'reference', 'oci', 'transports'],
  sync: ['errors', 'reference', 'oci', 'transports', 'copy', 'inspect'],
  api: ['errors'],
  store: ['errors', 'api'],
  scheduler: ['errors', 'reference', 'oci', 'transports', 'copy', 'inspect', 'api', 'store', 'credentials'],
  server: ['errors', 'reference', 'oci', 'transports', 'copy', 'inspect', 'api', 'store', 'scheduler', 'distribution'],
  cli: ['*'],
  '.': ['*'],
};

function permitted(from: string, to: string): boolean {
  if (from === to) return true;
  const rules = allowed[from.startsWith('transports/') && from !== 'transports/docker' ? 'transports' : from];
  if (!rules) return false;
  if (rules.includes('*')) return true;
  if (rules.includes(to)) return true;
  if (to.startsWith('transports/') && rules.includes('transports/*')) return true;
  return false;
}

test('every import in src/ follows the layering of STYLE.md', () => {
  const violations: string[] = [];
  for (const file of files(src)) {
    const from = area(file);
    for (const { target } of importsOf(file)) {
      if (!target.startsWith(src)) continue;
      const to = area(target);
      if (!permitted(from, to)) violations.push(`${relative(root, file)} imports ${relative(root, target)} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(violations, []);
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
