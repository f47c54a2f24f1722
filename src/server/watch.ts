/**
 * `?watch=true` as server-sent events. Like a Kubernetes watch without a
 * resourceVersion: first an `ADDED` event for every object that exists, then
 * every change as `ADDED` / `MODIFIED` / `DELETED`:
 *
 *     event: MODIFIED
 *     data: {"type":"MODIFIED","object":{...}}
 *
 * A comment line (`: heartbeat`) every `heartbeatMs` keeps proxies from
 * closing an idle stream. `timeoutSeconds` ends the stream cleanly, as does
 * the server shutting down; the client reconnects.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WatchEvent } from '../api/types.ts';
import type { Kind, ResourceOf, Store } from '../store/types.ts';

export interface WatchStreams {
  /** Ends every open stream (server shutdown). */
  closeAll(): void;
  readonly size: number;
}

export function createWatchStreams(): WatchStreams & { add(end: () => void): () => void } {
  const open = new Set<() => void>();
  return {
    add(end) {
      open.add(end);
      return () => open.delete(end);
    },
    closeAll() {
      for (const end of [...open]) end();
    },
    get size() {
      return open.size;
    },
  };
}

export interface WatchOptions<K extends Kind> {
  store: Store;
  kind: K;
  namespace: string | undefined;
  namespaces: readonly string[] | undefined;
  labelSelector: string | undefined;
  q: string | undefined;
  /** Extra filter after the store's (labels and search on live events). */
  matches: (obj: ResourceOf<K>) => boolean;
  /** Makes an object fit for the client (strips anything write-only). */
  present: (obj: ResourceOf<K>) => ResourceOf<K>;
  heartbeatMs: number;
  timeoutSeconds: number | undefined;
  streams: ReturnType<typeof createWatchStreams>;
}

function rv(obj: { metadata: { resourceVersion?: string } }): number {
  const n = Number(obj.metadata.resourceVersion);
  return Number.isFinite(n) ? n : 0;
}

export async function serveWatch<K extends Kind>(request: FastifyRequest, reply: FastifyReply, o: WatchOptions<K>): Promise<void> {
  // Subscribe before listing so nothing falls between the two; events the
  // listing already reflects are dropped by resourceVersion.
  const buffered: WatchEvent<ResourceOf<K>>[] = [];
  let live = false;
  let res: ServerResponse | undefined;
  let listedVersion = 0;
  const send = (e: WatchEvent<ResourceOf<K>>) => {
    if (!res || res.writableEnded) return;
    const body = { type: e.type, object: o.present(e.object) };
    res.write(`event: ${e.type}\ndata: ${JSON.stringify(body)}\n\n`);
  };
  const onEvent = (e: WatchEvent<ResourceOf<K>>) => {
    if (!o.matches(e.object) && e.type !== 'DELETED') return;
    if (!live) buffered.push(e);
    else send(e);
  };
  const unsubscribe = o.store.watch(o.kind, { namespace: o.namespace, namespaces: o.namespaces }, onEvent);
  let ended = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let remove: () => void = () => {};
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    clearTimeout(timeout);
    remove();
    if (res && !res.writableEnded) res.end();
  };
  try {
    const existing: ResourceOf<K>[] = [];
    let cont: string | undefined;
    do {
      const page = await o.store.list(o.kind, { namespace: o.namespace, namespaces: o.namespaces, labelSelector: o.labelSelector, q: o.q, limit: 1000, continue: cont });
      existing.push(...page.items);
      listedVersion = Math.max(listedVersion, Number(page.resourceVersion) || 0);
      cont = page.continue;
    } while (cont);
    reply.hijack();
    res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': watching\n\n');
    for (const obj of existing) send({ type: 'ADDED', object: obj });
    live = true;
    for (const e of buffered.splice(0)) if (rv(e.object) > listedVersion) send(e);
  } catch (err) {
    end();
    throw err;
  }
  remove = o.streams.add(end);
  heartbeat = setInterval(() => res?.write(': heartbeat\n\n'), o.heartbeatMs);
  if (o.timeoutSeconds !== undefined) timeout = setTimeout(end, o.timeoutSeconds * 1000);
  request.raw.on('close', end);
  res.on('close', end);
  res.on('error', end);
}
