/**
 * A shorter path for Node's module resolution of our own compiled files.
 * Each import between dist/ modules goes through Node's default ESM
 * resolver: for `./x.js` a URL parse, a stat and a realpath of the file and
 * the package.json scope lookup for its format; for a package name the
 * walk for node_modules and its package.json `exports`, again for every file
 * that imports it. A short command loads 80-100 modules, and `--cpu-prof` of
 * `tug inspect` showed ~45 ms of its ~270 ms in the resolver (issue 14 item 7).
 * From a file of the compiled tree none of that can change the answer: a
 * relative `.js` specifier names the file (tsc writes the tree as it is, and
 * the package is `"type": "module"`), and a package name resolves the same
 * from every file of the tree (dist/ holds no node_modules of its own). So
 * the first resolves to the URL it names, as a module, and the second is
 * asked of Node once and remembered. Everything else (sources run through
 * type stripping, whose specifiers end in .ts; packages importing their own
 * files) goes through Node's resolver as before.
 *
 * Installed by main.ts before the program's modules load. The single-file
 * executable has no imports left, so there it never runs.
 */
import * as nodeModule from 'node:module';

/** The compiled tree `parent` belongs to (`file:///.../dist/`), or undefined for any other module. */
export function compiledTreeOf(parent: string | undefined): string | undefined {
  if (parent === undefined || !parent.startsWith('file:') || !parent.endsWith('.js') || parent.includes('/node_modules/')) return undefined;
  const at = parent.lastIndexOf('/dist/');
  return at < 0 ? undefined : parent.slice(0, at + '/dist/'.length);
}

/** Installs the hook (Node 24 has module.registerHooks; without it nothing changes). */
export function shortenOwnResolution(): void {
  const packages = new Map<string, nodeModule.ResolveFnOutput>();
  nodeModule.registerHooks?.({
    resolve(specifier, context, nextResolve) {
      const tree = compiledTreeOf(context.parentURL);
      if (tree === undefined) return nextResolve(specifier, context);
      if (specifier.startsWith('./') || specifier.startsWith('../')) {
        if (specifier.endsWith('.js')) return { url: new URL(specifier, context.parentURL).href, format: 'module', shortCircuit: true };
        return nextResolve(specifier, context);
      }
      if (specifier.startsWith('/') || specifier.includes(':') || specifier.startsWith('#')) return nextResolve(specifier, context);
      const key = `${tree}\0${specifier}\0${context.conditions?.join(',') ?? ''}`;
      let resolved = packages.get(key);
      if (!resolved) packages.set(key, (resolved = nextResolve(specifier, context)));
      return { ...resolved, shortCircuit: true };
    },
  });
}
