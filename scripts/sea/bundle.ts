/**
 * The CLI as one CommonJS script, for a Node 24 single executable
 * application (SEA): Node 24 runs a SEA's main script as CommonJS only, and
 * its `require` there loads built-in modules only, so everything else must
 * be inside the script. esbuild bundles src/cli/main.ts with every module it
 * imports, the lazy ones of the COMMANDS table too (each becomes a function
 * that initialises its module on first call, so a command still loads only
 * what it runs).
 *
 * Three things of our ESM sources do not fit CommonJS, each decided here:
 * - top-level await (src/cli/main.ts, src/sync/config/index.ts): the bundle
 *   is built as ESM, whose lazy module initialisers may be async, and the
 *   whole of it is wrapped in one async function; nothing of it is left
 *   that only a module may contain (no import, export or import.meta).
 * - `createRequire(import.meta.url)` (lazy CommonJS loads: undici's parts,
 *   tar-stream, semver, zod): rewritten to plain `require('literal')`
 *   calls, which esbuild bundles; a call with anything but a literal fails
 *   the build.
 * - other `import.meta.url` uses: allowed only in {@link RUN_TIME_URL_FILES},
 *   files that never evaluate it in a SEA; the SEA has no module URL.
 * Built-in modules stay outside (the SEA's `require` provides them).
 */
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { Script } from 'node:vm';
import { build, type Plugin } from 'esbuild';

/**
 * Files that look for a file of the checkout beside their own source, at
 * run time only: in the bundle their `import.meta.url` is a call that
 * throws one clear line (the executable has no source tree), should they
 * ever reach it there.
 * - web-assets.ts: web/dist; never reached in a SEA, whose console is embedded.
 * - commands/bundle/create.ts: `--include-tug linux/ARCH` looks in dist/sea/;
 *   from the executable, give the file's path (`--include-tug /usr/local/bin/tug`).
 */
const RUN_TIME_URL_FILES: ReadonlySet<string> = new Set(['src/server/web-assets.ts', 'src/cli/commands/bundle/create.ts']);

/** Defined by the banner; what `import.meta.url` becomes in {@link RUN_TIME_URL_FILES}. */
const NO_MODULE_URL = `function __tugNoModuleUrl(file) {
  throw new Error(\`\${file} looks for a file of the tug repository, and the single-file executable has none: give that file's path instead\`);
}`;

/** Optional peer of pg that tug never uses (pg only loads it for `pg.native`). */
const ABSENT = ['pg-native'];

const BUILTINS = new Set(builtinModules);

function isBuiltin(path: string): boolean {
  return path.startsWith('node:') || BUILTINS.has(path);
}

/** Rewrites one source's `import.meta` uses as the module comment says, or throws naming the file. */
export function rewriteImportMeta(file: string, text: string): string {
  if (!text.includes('import.meta')) return text;
  const lazy = /const (\w+) = createRequire\(import\.meta\.url\);\n/.exec(text);
  if (lazy) {
    const name = lazy[1]!;
    const rewritten = text.replace(lazy[0], '').replace(new RegExp(`\\b${name}\\((['"][^'"\\n]+['"])\\)`, 'g'), 'require($1)');
    if (new RegExp(`\\b${name}\\(`).test(rewritten)) throw new Error(`${file}: ${name}(...) with a non-literal name cannot be bundled; require a string literal`);
    return rewriteImportMeta(file, rewritten);
  }
  if (RUN_TIME_URL_FILES.has(file)) return text.replaceAll('import.meta.url', `__tugNoModuleUrl(${JSON.stringify(file)})`);
  throw new Error(`${file}: import.meta has no value in the single-file executable; decide its use in scripts/sea/bundle.ts`);
}

function seaPlugin(root: string): Plugin {
  return {
    name: 'tug-sea',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        // A require() stays a require() of the SEA; an ESM import of a built-in goes through a one-line CommonJS module, so the output has no import statement.
        if (args.kind === 'require-call') return { path: args.path, external: true };
        return { path: args.path, namespace: 'builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
      b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => ({ contents: rewriteImportMeta(relative(root, args.path), await readFile(args.path, 'utf8')), loader: 'ts' }));
    },
  };
}

/** The bundle's text: a CommonJS script that runs `tug` with process.argv. */
export async function bundleCli(root: string): Promise<string> {
  const result = await build({
    stdin: { contents: "import './src/cli/main.ts';", resolveDir: root, loader: 'ts', sourcefile: 'sea-entry.ts' },
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: ABSENT,
    plugins: [seaPlugin(root)],
    logLevel: 'silent',
    legalComments: 'eof',
    // Names stay (stack traces of --debug still read); a smaller script costs less to load: measured 252 -> 231 ms of CPU for `--version`.
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: `"use strict";\n${NO_MODULE_URL}\n(async () => {` },
    // main() turns every error into an exit code; this only sees a module that failed to initialise.
    footer: { js: '})().catch((err) => { process.stderr.write(`tug: internal error: ${err?.stack ?? err}\\n`); process.exitCode = 70; });' },
  });
  if (result.warnings.length > 0) throw new Error(`esbuild: ${result.warnings.map((w) => `${w.location?.file ?? ''}:${w.location?.line ?? ''}: ${w.text}`).join('; ')}`);
  // ASCII only: Node turns the SEA's script into a V8 string, two bytes a character if one is not ASCII
  // (measured: 84 -> 80 MB peak for --version). esbuild escapes strings; what is left sits in regular
  // expressions and comments, where \uXXXX means the same code unit.
  const text = result.outputFiles[0]!.text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // A script, not a module: import/export/import.meta left anywhere fail here, at build time.
  new Script(text, { filename: 'tug.cjs' });
  // The SEA's code cache breaks import() (Node's SEA docs); esbuild inlines every one of ours.
  const dynamicImport = /^(?!\s*(?:\*|\/\/)).*\bimport\(\s*["'`]/m.exec(text);
  if (dynamicImport) throw new Error(`the bundle still has a dynamic import(): ${dynamicImport[0].trim().slice(0, 120)}`);
  return text;
}
