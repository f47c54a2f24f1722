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
import { extname, join, relative, sep } from 'node:path';
import * as sea from 'node:sea';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The console's files, whichever their origin. */
export interface ConsoleFiles {
  /** `index.html`: the single-page app answers its own routes with it. */
  index(): Promise<Buffer>;
  /** Adds one GET (and HEAD) route per file to `scope`, `/` being index.html. */
  register(scope: FastifyInstance): Promise<void>;
}

/**
 * Cache-Control for a console path. Vite names everything under /assets/
 * after a hash of its content, so a browser may keep those for a year
 * without asking again; index.html names the current hashes and must be
 * revalidated on every load, or a browser would run last version's assets.
 */
export function cacheControlOf(path: string): string {
  return path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** Content encodings the build writes beside each file (web/vite.config.ts), best first. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/**
 * The encodings `accept-encoding` allows, in ENCODINGS' order: a coding is
 * allowed when named (or `*`) without `q=0`.
 */
export function acceptedEncodings(header: string | undefined): (typeof ENCODINGS)[number][] {
  const q = new Map<string, number>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim());
    if (!name) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    q.set(name, qParam === undefined ? 1 : Number(qParam.slice(2)) || 0);
  }
  return ENCODINGS.filter((e) => (q.get(e.name) ?? (e.name === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0) > 0);
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
      await scope.register(fastifyStatic, {
        root,
        prefix: '/',
        index: ['index.html'],
        wildcard: false,
        // NAME.br / NAME.gz from the build, chosen by accept-encoding (with `vary`).
        preCompressed: true,
        cacheControl: false,
        setHeaders: (reply, path) => void reply.header('cache-control', cacheControlOf(`/${relative(root, path).split(sep).join('/')}`)),
      });
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
  return memoryFiles(files);
}

/** The console from files held in memory, by path (`/index.html`, `/assets/...`): the single-file executable's. */
export function memoryFiles(files: ReadonlyMap<string, Buffer>): ConsoleFiles | undefined {
  const index = files.get('/index.html');
  if (index === undefined) return undefined;
  return {
    index: async () => index,
    register: async (scope) => {
      for (const [path, body] of files) {
        if (ENCODINGS.some((e) => path.endsWith(e.suffix) && files.has(path.slice(0, -e.suffix.length)))) continue;
        const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
        const variants = ENCODINGS.flatMap((e) => {
          const encoded = files.get(`${path}${e.suffix}`);
          return encoded ? [{ name: e.name, body: encoded }] : [];
        });
        const cacheControl = cacheControlOf(path);
        const handler = async (request: FastifyRequest, reply: FastifyReply) => {
          reply.type(type).header('cache-control', cacheControl);
          if (variants.length === 0) return reply.send(body);
          reply.header('vary', 'accept-encoding');
          const accepted = new Set(acceptedEncodings(request.headers['accept-encoding']).map((e) => e.name));
          const variant = variants.find((v) => accepted.has(v.name));
          return variant ? reply.header('content-encoding', variant.name).send(variant.body) : reply.send(body);
        };
        scope.get(path, handler);
        if (path === '/index.html') scope.get('/', handler);
      }
    },
  };
}
