/**
 * `?watch=true` as server-sent events, as a Kubernetes watch. Without a
 * resourceVersion (or with `0`): first an `ADDED` event for every object
 * that exists, then every change as `ADDED` / `MODIFIED` / `DELETED`:
 *
 *     event: MODIFIED
 *     data: {"type":"MODIFIED","object":{...}}
 *
 * With `resourceVersion=N` (the last version a client saw): no listing, the
 * changes after N replayed from the store's event log, then live ones; when
 * N has left the log (EVENT_RETENTION versions) the answer is 410 Gone with
 * reason `Expired`, and the client lists again. With a selector, an object
 * that stops matching arrives as `DELETED` and one that starts as `ADDED`,
 * as from the API server; a resumed watch does not know what the client
 * held, so it may send `DELETED` for an object the client never had
 * (informers ignore those).
 *
 * A comment line (`: heartbeat`) every `heartbeatMs` keeps proxies from
 * closing an idle stream. `timeoutSeconds` ends the stream cleanly, as does
 * the server shutting down; the client reconnects.
 *
 * A stream lives no longer than its token: revoking the token
 * (DELETE /tokens/{name}) ends the token's streams on this replica at once,
 * and every heartbeat re-reads the token from the store, which ends them on
 * the other replicas within one heartbeat. A token holds at most
 * {@link MAX_STREAMS_PER_TOKEN} streams per replica (429 beyond), and
 * `timeoutSeconds` is clamped to {@link MAX_WATCH_SECONDS} (also the
 * default), like the Kubernetes API server's --min-request-timeout.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WatchEvent } from '../api/types.ts';
import type { Kind, ResourceOf, Store } from '../store/types.ts';
import { ApiError } from './errors.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export const MAX_STREAMS_PER_TOKEN = 10;
export const MAX_WATCH_SECONDS = 1800;

export interface WatchStreams {
  /** Ends every open stream (server shutdown). */
  closeAll(): void;
  /** Ends the streams of one token (by store id): it was revoked. */
  closeToken(tokenId: string): void;
  readonly size: number;
}

export function createWatchStreams(options: { perToken?: number | undefined } = {}): WatchStreams & {
  /** Registers a stream; returns its removal. @throws ApiError 429 when `tokenId` holds the maximum already. */
  add(end: () => void, tokenId: string | undefined): () => void;
} {
  const perToken = options.perToken ?? MAX_STREAMS_PER_TOKEN;
  const open = new Map<() => void, string | undefined>();
  return {
    add(end, tokenId) {
      if (tokenId !== undefined && [...open.values()].filter((id) => id === tokenId).length >= perToken) {
        throw new ApiError(429, 'TooManyRequests', `this token has ${perToken} watches open already; close one first`, { retryAfterSeconds: 5 });
      }
      open.set(end, tokenId);
      return () => open.delete(end);
    },
    closeAll() {
      for (const end of [...open.keys()]) end();
    },
    closeToken(tokenId) {
      for (const [end, id] of [...open]) if (id === tokenId) end();
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
  fieldSelector: string | undefined;
  q: string | undefined;
  /** Resume after this version (`?resourceVersion=N`, N > 0); undefined lists first. */
  resumeFrom: number | undefined;
  /** Extra filter after the store's (labels and search on live events). */
  matches: (obj: ResourceOf<K>) => boolean;
  /** Makes an object fit for the client (strips anything write-only). */
  present: (obj: ResourceOf<K>) => ResourceOf<K>;
  heartbeatMs: number;
  timeoutSeconds: number | undefined;
  streams: ReturnType<typeof createWatchStreams>;
}

/**
 * Every watcher of a change receives the same object (the store's event), so
 * its frame is built once and shared: with 50 watchers a write cost 50
 * JSON.stringify calls of the whole object before (issue 15, "Scale").
 * Keyed weakly by the object, then by the event type a watcher sends it as.
 */
const frames = new WeakMap<object, Map<string, Buffer>>();

/** As bytes: a string would be encoded to UTF-8 again for every socket it is written to. */
function encodeEvent<T extends object>(type: WatchEvent<T>['type'], object: T, present: (obj: T) => T): Buffer {
  let byType = frames.get(object);
  if (!byType) {
    byType = new Map();
    frames.set(object, byType);
  }
  let frame = byType.get(type);
  if (frame === undefined) {
    frame = Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, object: present(object) })}\n\n`);
    byType.set(type, frame);
  }
  return frame;
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
  // What the client holds (namespace/name) under the selector: decides ADDED vs MODIFIED, and DELETED when an object stops matching.
  const inView = new Set<string>();
  const resumed = o.resumeFrom !== undefined;
  const write = (type: WatchEvent<ResourceOf<K>>['type'], object: ResourceOf<K>) => {
    if (!res || res.writableEnded) return;
    res.write(encodeEvent(type, object, o.present));
  };
  const send = (e: WatchEvent<ResourceOf<K>>) => {
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    const had = inView.has(key);
    if (e.type !== 'DELETED' && o.matches(e.object)) {
      inView.add(key);
      write(had ? 'MODIFIED' : e.type === 'ADDED' || !resumed ? 'ADDED' : 'MODIFIED', e.object);
    } else if (had || resumed) {
      inView.delete(key);
      write('DELETED', e.object);
    }
  };
  // Versions replayed from the log: their live copies (a commit's event may arrive after its row was read) are dropped.
  const replayed = new Set<number>();
  const onEvent = (e: WatchEvent<ResourceOf<K>>) => {
    if (!live) buffered.push(e);
    else if (!replayed.has(rv(e.object))) send(e);
  };
  let ended = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let unsubscribe: () => void = () => {};
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    clearTimeout(timeout);
    remove();
    if (res && !res.writableEnded) res.end();
  };
  // Taken before anything else, so concurrent requests cannot all pass the cap.
  const principal = request.principal;
  const remove = o.streams.add(end, principal?.id);
  unsubscribe = o.store.watch(o.kind, { namespace: o.namespace, namespaces: o.namespaces }, onEvent);
  try {
    const existing: ResourceOf<K>[] = [];
    let replay: WatchEvent<ResourceOf<K>>[] = [];
    if (o.resumeFrom !== undefined) {
      const changes = await o.store.changesSince(o.kind, o.resumeFrom, { namespace: o.namespace, namespaces: o.namespaces });
      if (changes === 'expired') throw new ApiError(410, 'Expired', `too old resource version: ${o.resumeFrom}; list again and watch from the list's metadata.resourceVersion`);
      for (const e of changes) replayed.add(rv(e.object));
      replay = changes;
    } else {
      let cont: string | undefined;
      do {
        const page = await o.store.list(o.kind, { namespace: o.namespace, namespaces: o.namespaces, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, q: o.q, limit: 1000, continue: cont });
        existing.push(...page.items);
        listedVersion = Math.max(listedVersion, Number(page.resourceVersion) || 0);
        cont = page.continue;
      } while (cont);
    }
    // Revoked, or the server closing, while the listing ran.
    if (ended) throw new ApiError(503, 'ServiceUnavailable', 'the watch ended before it started (the server is shutting down or the token was revoked); retry');
    reply.hijack();
    res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': watching\n\n');
    for (const obj of existing) send({ type: 'ADDED', object: obj });
    for (const e of replay) send(e);
    live = true;
    // Subscribed before reading: what the listing or the replay already holds goes out once.
    for (const e of buffered.splice(0)) if (rv(e.object) > listedVersion && !replayed.has(rv(e.object))) send(e);
  } catch (err) {
    end();
    throw err;
  }
  heartbeat = setInterval(() => {
    res?.write(': heartbeat\n\n');
    // A token revoked through another replica; a store that does not answer keeps the stream.
    if (principal) void o.store.findToken(principal.hash).then((t) => t === undefined && end(), () => {});
  }, o.heartbeatMs);
  timeout = setTimeout(end, Math.min(o.timeoutSeconds ?? MAX_WATCH_SECONDS, MAX_WATCH_SECONDS) * 1000);
  request.raw.on('close', end);
  res.on('close', end);
  res.on('error', end);
}
