/**
 * `?watch=true` over a real HTTP connection: server-sent events for ADDED,
 * MODIFIED and DELETED, namespace scoping, heartbeats, clean ends.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_PREFIX } from '../../src/api/types.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

interface SseEvent {
  event: string;
  data: any;
}

/** Opens a watch and collects events until closed. */
async function openWatch(s: TestServer, path: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(`${s.url}${API_PREFIX}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  const done = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(':')) {
            comments.push(block);
            continue;
          }
          const ev = /^event: (.*)$/m.exec(block)?.[1] ?? '';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          events.push({ event: ev, data: data ? JSON.parse(data) : undefined });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
    ended = true;
  })();
  return { events, comments, done, close: () => controller.abort(), isEnded: () => ended };
}

let s: TestServer;
before(async () => {
  s = await startTestServer({ heartbeatMs: 200 });
  await s.api('POST', '/namespaces/default/registries', { body: registryDoc('r', 'http://127.0.0.1:9') });
  await s.api('POST', '/namespaces/team-b/registries', { body: registryDoc('r', 'http://127.0.0.1:9', {}, 'team-b') });
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('existing', { repository: 'a/b', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
});
after(async () => {
  await s.close();
});

test('watch delivers ADDED (existing and new), MODIFIED and DELETED as SSE', async () => {
  const w = await openWatch(s, '/namespaces/default/repositories?watch=true', s.adminToken);
  await waitFor('the existing object as ADDED', async () => w.events.find((e) => e.event === 'ADDED' && e.data.object.metadata.name === 'existing'));
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('fresh', { repository: 'a/c', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  await waitFor('ADDED fresh', async () => w.events.find((e) => e.event === 'ADDED' && e.data.object.metadata.name === 'fresh'));
  await s.api('PATCH', '/namespaces/default/repositories/fresh', { contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'theriseunion.io/display-name': 'Fresh' } } } });
  await waitFor('MODIFIED fresh', async () => w.events.find((e) => e.event === 'MODIFIED' && e.data.object.metadata.annotations?.['theriseunion.io/display-name'] === 'Fresh'));
  // The scheduler's status changes arrive as MODIFIED too (the sync fails fast: nothing listens on port 9).
  await waitFor('a status change', async () => w.events.find((e) => e.event === 'MODIFIED' && e.data.object.metadata.name === 'fresh' && e.data.object.status.syncStatus === 'Failed'));
  await s.api('DELETE', '/namespaces/default/repositories/fresh');
  await waitFor('DELETED fresh', async () => w.events.find((e) => e.event === 'DELETED' && e.data.object.metadata.name === 'fresh'));
  for (const e of w.events) assert.equal(e.data.type, e.event);
  await waitFor('a heartbeat', async () => w.comments.some((c) => c.includes('heartbeat')));
  w.close();
  await w.done;
});

test('a scoped token only sees its namespaces in a watch', async () => {
  const token = await s.token('team-b-viewer', 'viewer', ['team-b']);
  const all = await openWatch(s, '/repositories?watch=true', token);
  const other = await openWatch(s, '/namespaces/default/repositories?watch=true', token);
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('hidden', { repository: 'a/h', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  await s.api('POST', '/namespaces/team-b/repositories', { body: repositoryDoc('visible', { repository: 'a/v', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }, 'team-b') });
  await waitFor('ADDED visible', async () => all.events.find((e) => e.data.object.metadata.name === 'visible'));
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(all.events.every((e) => e.data.object.metadata.namespace === 'team-b'), JSON.stringify(all.events.map((e) => e.data.object.metadata.name)));
  assert.equal(other.events.length, 0);
  all.close();
  other.close();
  await Promise.all([all.done, other.done]);
});

test('timeoutSeconds ends the stream cleanly; so does the server shutting down', async () => {
  const w = await openWatch(s, '/namespaces/default/repositories?watch=true&timeoutSeconds=1', s.adminToken);
  await w.done;
  assert.ok(w.isEnded());
  assert.ok(w.events.length >= 1);
  const open = await openWatch(s, '/repositories?watch=true', s.adminToken);
  await waitFor('initial events', async () => open.events.length > 0);
  const closing = s.app.close();
  await open.done;
  await closing;
});
