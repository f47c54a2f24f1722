/**
 * Where the console's files come from, asked in one place: web/dist of the
 * checkout (`npm run build:web`) for a normal run, or, in the single-file
 * executable (`npm run dist`, docs/dist.md), the copy of web/dist that
 * scripts/dist.ts embedded as SEA assets under {@link EMBEDDED_PREFIX}. The
 * executable reads nothing from disk for the console, so it serves it from
 * any directory on a host without the repository.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as sea from 'node:sea';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The console's files, whichever their origin. */
export interface ConsoleFiles {
  /** `index.html`: the single-page app answers its own routes with it. */
  index(): Promise<Buffer>;
  /** Adds one GET (and HEAD) route per file to `scope`, `/` being index.html. */
  register(scope: FastifyInstance): Promise<void>;
}

/** The SEA asset keys of the console: `web/index.html`, `web/assets/...` (scripts/dist.ts writes them). */
export const EMBEDDED_PREFIX = 'web/';

/**
 * The console to serve: `null` none; a directory (tests, `tug serve` of a
 * checkout) when it holds index.html; by default the embedded copy in a
 * single-file executable, else the checkout's web/dist. Undefined when
 * there is nothing to serve.
 */
export function consoleFiles(webRoot: string | null | undefined): ConsoleFiles | undefined {
  if (webRoot === null) return undefined;
  if (webRoot === undefined && sea.isSea()) return embeddedFiles();
  return directoryFiles(webRoot ?? defaultWebRoot());
}

/** The checkout's web/dist. Only called outside a single-file executable, whose bundle has no module URL (scripts/dist.ts). */
function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../web/dist', import.meta.url));
}

function directoryFiles(root: string): ConsoleFiles | undefined {
  if (!existsSync(join(root, 'index.html'))) return undefined;
  return {
    index: () => readFile(join(root, 'index.html')),
    // One route per file (no wildcard): everything else reaches the
    // not-found handler, which access.ts judges by the path.
    register: async (scope) => {
      await scope.register(fastifyStatic, { root, prefix: '/', index: ['index.html'], wildcard: false });
    },
  };
}

/** What the console's build emits; anything else is served as bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

function embeddedFiles(): ConsoleFiles | undefined {
  // Read once: the assets are part of the executable, a megabyte or two.
  const files = new Map<string, Buffer>();
  for (const key of sea.getAssetKeys()) {
    if (key.startsWith(EMBEDDED_PREFIX)) files.set(`/${key.slice(EMBEDDED_PREFIX.length)}`, Buffer.from(sea.getAsset(key)));
  }
  const index = files.get('/index.html');
  if (index === undefined) return undefined;
  files.set('/', index);
  return {
    index: async () => index,
    register: async (scope) => {
      for (const [path, body] of files) {
        const type = CONTENT_TYPES[extname(path === '/' ? '/index.html' : path)] ?? 'application/octet-stream';
        // The same cache policy as @fastify/static's default: revalidate every time.
        scope.get(path, async (_request, reply) => reply.type(type).header('cache-control', 'public, max-age=0').send(body));
      }
    },
  };
}
