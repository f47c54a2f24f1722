/**
 * `?watch=true` over a real HTTP connection: server-sent events for ADDED,
 * MODIFIED and DELETED, namespace scoping, heartbeats, clean ends.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { API_PREFIX } from '../../src/api/types.ts';
import { EVENT_RETENTION } from '../../src/store/index.ts';
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

/** Fails (instead of hanging) when `p` takes longer than `ms`. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
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
  const admin = await openWatch(s, '/namespaces/default/repositories?watch=true', s.adminToken);
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('hidden', { repository: 'a/h', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  await s.api('POST', '/namespaces/team-b/repositories', { body: repositoryDoc('visible', { repository: 'a/v', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }, 'team-b') });
  // Order, not time: a stream writes events as they happen, so whatever "hidden" sent
  // to a stream is in it before what came later there ("visible", or a heartbeat
  // that began after the admin's stream had "hidden").
  await waitFor('ADDED visible', async () => all.events.find((e) => e.data.object.metadata.name === 'visible'));
  await waitFor('the admin sees hidden', async () => admin.events.find((e) => e.data.object.metadata.name === 'hidden'));
  const beats = other.comments.length;
  await waitFor('a heartbeat on the other stream after that', async () => other.comments.slice(beats).some((c) => c.includes('heartbeat')));
  assert.ok(all.events.every((e) => e.data.object.metadata.namespace === 'team-b'), JSON.stringify(all.events.map((e) => e.data.object.metadata.name)));
  assert.equal(other.events.length, 0);
  for (const w of [all, other, admin]) w.close();
  await Promise.all([all.done, other.done, admin.done]);
});

test('a revoked token loses its watches within a second (issue 10)', async () => {
  const token = await s.token('revoked-watcher', 'viewer');
  const watches = [await openWatch(s, '/repositories?watch=true', token), await openWatch(s, '/namespaces/default/registries?watch=true', token)];
  const bystander = await openWatch(s, '/repositories?watch=true', s.adminToken);
  assert.equal((await s.api('DELETE', '/tokens/revoked-watcher')).status, 200);
  await within(1000, 'the revoked token\'s watches to end', Promise.all(watches.map((w) => w.done)));
  // Nothing that happens later reaches it; other tokens' streams stay.
  const before = watches[0]!.events.length;
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('after-revoke', { repository: 'a/r', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  await waitFor('the bystander sees it', async () => bystander.events.find((e) => e.data.object.metadata.name === 'after-revoke'));
  assert.equal(watches[0]!.events.length, before);
  assert.ok(!bystander.isEnded());
  bystander.close();
  await bystander.done;
});

test('a token revoked through another replica loses its watches at the next heartbeat', async () => {
  const token = await s.token('revoked-elsewhere', 'viewer');
  const w = await openWatch(s, '/repositories?watch=true', token);
  // What DELETE /tokens on another replica does: the row goes, this process hears nothing.
  const t = (await s.store.listTokens()).find((x) => x.name === 'revoked-elsewhere')!;
  assert.ok(await s.store.deleteToken(t.id));
  await within(1000, 'the watch to end at a heartbeat (every 200 ms)', w.done);
});

test('a token holds at most 10 watches; timeoutSeconds is clamped, not trusted', async () => {
  const token = await s.token('greedy-watcher', 'viewer');
  const open = [];
  for (let i = 0; i < 10; i++) open.push(await openWatch(s, '/repositories?watch=true', token));
  const res = await fetch(`${s.url}${API_PREFIX}/repositories?watch=true`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '5');
  assert.equal(((await res.json()) as { reason: string }).reason, 'TooManyRequests');
  // Another token is not affected; a closed stream frees its slot.
  const other = await openWatch(s, '/repositories?watch=true', s.adminToken);
  open.pop()!.close();
  await waitFor('a free slot', async () => (await fetch(`${s.url}${API_PREFIX}/repositories?watch=true&timeoutSeconds=1`, { headers: { authorization: `Bearer ${token}` } })).status === 200);
  for (const w of [...open, other]) w.close();
  await Promise.all([...open, other].map((w) => w.done));

  // More milliseconds than a timer holds: unclamped, Node fires it at once and the stream ends.
  const long = await openWatch(s, '/repositories?watch=true&timeoutSeconds=3000000', s.adminToken);
  // Two heartbeats (200 ms apart) while it stays open: a timer fired at once would have ended it before the first.
  await waitFor('two heartbeats, or the end', async () => long.isEnded() || long.comments.filter((c) => c.includes('heartbeat')).length >= 2);
  assert.ok(!long.isEnded(), 'the stream ended at once');
  long.close();
  await long.done;
});

test('the event stream carries the security headers', async () => {
  const res = await fetch(`${s.url}${API_PREFIX}/repositories?watch=true&timeoutSeconds=1`, { headers: { authorization: `Bearer ${s.adminToken}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  await res.text();
});

test('a watch resumed with resourceVersion replays what happened after it, without listing, then goes on live', async () => {
  const rv0 = (await s.api('GET', '/namespaces/default/repositories')).body.metadata.resourceVersion as string;
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('resume-a', { repository: 'a/ra', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  await s.api('PATCH', '/namespaces/default/repositories/resume-a', { contentType: 'application/merge-patch+json', body: { metadata: { labels: { seen: 'yes' } } } });
  await s.api('DELETE', '/namespaces/default/repositories/resume-a');
  const w = await openWatch(s, `/namespaces/default/repositories?watch=true&resourceVersion=${rv0}`, s.adminToken);
  await waitFor('DELETED resume-a', async () => w.events.find((e) => e.event === 'DELETED' && e.data.object.metadata.name === 'resume-a'));
  const mine = w.events.filter((e) => e.data.object.metadata.name === 'resume-a');
  assert.equal(mine[0]?.event, 'ADDED');
  assert.ok(mine.some((e) => e.event === 'MODIFIED' && e.data.object.metadata.labels?.seen === 'yes'));
  assert.ok(!w.events.some((e) => e.data.object.metadata.name === 'existing'), 'no initial listing on a resumed watch');
  const versions = w.events.map((e) => Number(e.data.object.metadata.resourceVersion));
  assert.deepEqual(versions, [...versions].sort((x, y) => x - y), 'replayed in order, each once');
  assert.equal(new Set(versions).size, versions.length);
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('resume-b', { repository: 'a/rb', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  await waitFor('ADDED resume-b, live', async () => w.events.find((e) => e.event === 'ADDED' && e.data.object.metadata.name === 'resume-b'));
  w.close();
  await w.done;
  await s.api('DELETE', '/namespaces/default/repositories/resume-b');
});

test('a fieldSelector watch sees an object enter the selection as ADDED and leave it as DELETED', async () => {
  const w = await openWatch(s, '/namespaces/default/repositories?watch=true&fieldSelector=status.syncStatus%3DFailed', s.adminToken);
  await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('selected', { repository: 'a/sel', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) });
  // Nothing listens on port 9: the first sync fails, and the object enters the selection.
  await waitFor('ADDED selected (Failed)', async () => w.events.find((e) => e.event === 'ADDED' && e.data.object.metadata.name === 'selected'));
  assert.equal(w.events.find((e) => e.data.object.metadata.name === 'selected')!.data.object.status.syncStatus, 'Failed');
  await s.store.updateStatus('Repository', 'default', 'selected', { syncStatus: 'Success' });
  await waitFor('DELETED selected (no longer Failed)', async () => w.events.find((e) => e.event === 'DELETED' && e.data.object.metadata.name === 'selected'));
  assert.ok(w.events.every((e) => e.data.object.metadata.name === 'selected' || e.data.object.status?.syncStatus === 'Failed'));
  w.close();
  await w.done;
  const bad = await s.api('GET', '/namespaces/default/repositories?watch=true&fieldSelector=status.phase%3DFailed');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /status\.phase/);
  await s.api('DELETE', '/namespaces/default/repositories/selected');
});

test('a resourceVersion older than the event log answers 410 Expired; a malformed one 400', async () => {
  const rv0 = (await s.api('GET', '/namespaces/default/repositories')).body.metadata.resourceVersion as string;
  // What EVENT_RETENTION writes would do to the counter, without making them.
  const db = new DatabaseSync(join(s.dataDir, 'tugboat.db'));
  try {
    db.exec(`UPDATE counters SET value = value + ${EVENT_RETENTION + 1} WHERE name = 'resource_version'`);
  } finally {
    db.close();
  }
  const r = await s.api('GET', `/namespaces/default/repositories?watch=true&resourceVersion=${rv0}`);
  assert.equal(r.status, 410);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.reason, 'Expired');
  assert.match(r.body.message, /list again/);
  const fresh = (await s.api('GET', '/namespaces/default/repositories')).body.metadata.resourceVersion as string;
  const w = await openWatch(s, `/namespaces/default/repositories?watch=true&resourceVersion=${fresh}`, s.adminToken);
  w.close();
  await w.done;
  assert.equal((await s.api('GET', '/namespaces/default/repositories?watch=true&resourceVersion=abc')).status, 400);
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
