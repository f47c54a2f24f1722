// Builds the web console: `npm run build:web` -> web/dist, which `tug serve`
// serves at `/`. `npx vite --config web/vite.config.ts` runs a dev server
// that proxies the API to TUG_SERVER (default http://127.0.0.1:8080).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import postcss from 'postcss';
import { defineConfig, type Plugin } from 'vite';
import { LATER_CLASS } from './src/antdSplit.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.TUG_SERVER ?? 'http://127.0.0.1:8080';

/** Text the console's build emits; images and fonts are compressed already. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;

/**
 * Writes `NAME.br` and `NAME.gz` beside every compressible file of the build
 * (issue 16: a cold load moved 2.1 MB uncompressed). The server sends them to
 * a browser that accepts the encoding (@fastify/static's preCompressed, and
 * src/server/web-assets.ts for the copy inside a single-file executable), so
 * compression costs nothing per request and brotli can run at its best level.
 * Files under 1 KiB are left alone: the headers cost more than they save.
 */
function precompress(): Plugin {
  const br = promisify(brotliCompress);
  const gz = promisify(gzip);
  return {
    name: 'tugboat-precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir!;
      await Promise.all(
        Object.values(bundle).map(async (file) => {
          if (!COMPRESSIBLE.test(file.fileName)) return;
          const bytes = Buffer.from(file.type === 'chunk' ? file.code : file.source);
          if (bytes.length < 1024) return;
          const path = join(dir, file.fileName);
          await writeFile(`${path}.br`, await br(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
          await writeFile(`${path}.gz`, await gz(bytes, { level: constants.Z_BEST_COMPRESSION }));
        }),
      );
    },
  };
}

/**
 * main.ts loads the app with a dynamic import (so the first screen's API
 * requests start before it, see src/early.ts); the browser would only learn
 * of the app's chunks once main.ts has run. This lists them in index.html
 * (modulepreload for scripts, preload for styles, which does not hold up the
 * placeholder's first paint), so they download alongside main.ts.
 */
function preloadApp(entry: string): Plugin {
  return {
    name: 'tugboat-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle ?? {};
        const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
        const app = chunks.find((c) => c.facadeModuleId?.endsWith(entry));
        if (!app) throw new Error(`tugboat-preload-app: no chunk for ${entry}`);
        const scripts = new Set<string>();
        const styles = new Set<string>();
        const visit = (fileName: string) => {
          const chunk = chunks.find((c) => c.fileName === fileName);
          if (scripts.has(fileName) || chunk?.isEntry) return; // index.html's own <script> loads the entry
          scripts.add(fileName);
          for (const css of chunk?.viteMetadata?.importedCss ?? []) styles.add(css);
          for (const dep of chunk?.imports ?? []) visit(dep);
        };
        visit(app.fileName);
        // Vite lists the entry's own imports already.
        for (const f of scripts) if (html.includes(`/${f}"`)) scripts.delete(f);
        return [
          ...[...scripts].map((f) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `/${f}` }, injectTo: 'head' as const })),
          ...[...styles].map((f) => ({ tag: 'link', attrs: { rel: 'preload', as: 'style', crossorigin: true, href: `/${f}` }, injectTo: 'head' as const })),
        ];
      },
    },
  };
}

/**
 * antd's static CSS (zero-runtime mode: every component's rules, 1 MB) in
 * two parts: `antd/dist/antd.css` gives the rules a first screen may use,
 * `antd/dist/antd.css?later` the rest (src/antdSplit.ts), imported by
 * `src/antdLater.ts`, which lazy pages and dialogs load with their chunk
 * (through src/lazyWithLaterCss.ts). Issue 16's cold load: the browser parsed
 * and indexed the whole megabyte before the app's first render. A top-level
 * rule (or @media block) goes to the later part only when every antd class
 * it names is a later component's; anything else (variables, keyframes,
 * resets, rules shared with a first-screen component) stays first. postcss
 * reads the top-level rules; a comment names no class and stays first.
 */
function splitAntdCss(): Plugin {
  const split = (css: string) => {
    const first = postcss.root();
    const later = postcss.root();
    for (const node of postcss.parse(css).nodes) {
      const text = node.toString();
      const classes = [...text.matchAll(/\.(ant-[\w-]+)/g)].map((m) => m[1]!);
      (classes.length > 0 && classes.every((k) => LATER_CLASS.test(k)) ? later : first).append(node.clone());
    }
    return { first: first.toString(), later: later.toString() };
  };
  let parts: Promise<{ first: string; later: string }> | undefined;
  return {
    name: 'tugboat-split-antd-css',
    enforce: 'pre',
    async load(id) {
      const [path, query] = id.split('?');
      if (!path!.endsWith('/node_modules/antd/dist/antd.css')) return null;
      parts ??= readFile(path!, 'utf8').then(split);
      const { first, later } = await parts;
      return query === 'later' ? later : first;
    },
  };
}

type ModuleInfoOf = (id: string) => { importers: readonly string[]; dynamicImporters: readonly string[] } | null;

/** The chart library: @ant-design/plots (the overview's charts) and AntV's G2 and G under it. */
const CHART_PACKAGES = ['node_modules/@ant-design/plots/', 'node_modules/@ant-design/charts-util/', 'node_modules/@antv/'];
const chartOnlyMemo = new Map<string, boolean>();

/**
 * Whether `id` is the chart library or a package only it imports (d3's
 * parts, lodash, ...): those stay out of `antd` and `vendor`, so they load
 * with the overview's lazy chunk (issue 16: the list's first load must not
 * fetch the charts; the catch-all `vendor` below would otherwise take G2
 * and its dependencies into every first load). A module in an import cycle
 * counts as chart-only while its cycle is being decided.
 */
function chartOnly(id: string, info: ModuleInfoOf): boolean {
  if (CHART_PACKAGES.some((p) => id.includes(p))) return true;
  if (!id.includes('node_modules/')) return false;
  const known = chartOnlyMemo.get(id);
  if (known !== undefined) return known;
  chartOnlyMemo.set(id, true);
  const m = info(id);
  const importers = m ? [...m.importers, ...m.dynamicImporters] : [];
  const only = importers.length > 0 && importers.every((i) => chartOnly(i, info));
  chartOnlyMemo.set(id, only);
  return only;
}

export default defineConfig({
  root,
  base: '/',
  plugins: [splitAntdCss(), react(), precompress(), preloadApp('/src/boot.tsx')],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks(id: string, meta: { getModuleInfo: ModuleInfoOf }) {
          // Left to the bundler, which puts them with the only page that imports them (a named group would also take in Vite's preload helper, which G2's dynamic imports use, and every page would load it).
          if (chartOnly(id, meta.getModuleInfo)) return undefined;
          // React in one chunk of its own (every page needs it). antd is left to the bundler: as one named chunk it held every
          // component any lazy page uses (1.3 MB, evaluated on every first load); split by use, the first load evaluates only the
          // list's and the shell's (measured with 120 repositories: first rows 1.74-1.80 s against 1.69-2.08 s).
          if (id.includes('node_modules/react') || id.includes('node_modules/scheduler')) return 'react';
          return undefined;
        },
      },
    },
  },
  server: {
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: { '/oapis': { target, changeOrigin: true }, '/healthz': target, '/readyz': target },
  },
});
