/**
 * Webhooks (issue 15 item 7) to a real local listener: a finished SyncRun
 * arrives as one CloudEvents document whose Standard Webhooks signature
 * checks out with the secret shown once; the test button sends one now; a
 * failing receiver is retried and every attempt is in the delivery log;
 * the egress policy keeps webhooks off metadata addresses; the secret is
 * never shown again, logged or audited.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const received: Received[] = [];
/** Answers with these codes in turn (then 204). */
const answers: number[] = [];
const listener = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.statusCode = answers.shift() ?? 204;
    res.end();
  });
});
let hookUrl = '';
let s: TestServer;

before(async () => {
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/tugboat`;
  s = await startTestServer({ webhookRetryDelaysMs: [200, 200] });
  assert.equal((await s.api('POST', '/namespaces/hooks/registries', { body: registryDoc('down', 'http://127.0.0.1:9', {}, 'hooks') })).status, 201);
});
after(async () => {
  await s?.close();
  await new Promise((resolve) => listener.close(resolve));
});

/** What a receiver does (Standard Webhooks v1), written from the specification, not from the server's code. */
function verify(secret: string, r: Received): boolean {
  const id = String(r.headers['webhook-id']);
  const ts = String(r.headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature']).split(' ').some((sig) => sig === `v1,${expected}`) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
}

let secret = '';

test('create shows the secret once; the test button delivers a signed CloudEvent', async () => {
  const created = await s.api('POST', '/namespaces/hooks/webhooks', { body: { metadata: { name: 'ci' }, spec: { url: hookUrl } } });
  assert.equal(created.status, 201, created.text);
  secret = created.body.status.secret;
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const read = await s.api('GET', '/namespaces/hooks/webhooks/ci');
  assert.equal(read.status, 200);
  assert.equal(read.body.status, undefined);
  assert.doesNotMatch(read.text + (await s.api('GET', '/namespaces/hooks/webhooks')).text + (await s.api('GET', '/auditlogs?kind=Webhook')).text, new RegExp(secret.slice(6, 30).replace(/[+/]/g, '\\$&')));

  const t = await s.api('POST', '/namespaces/hooks/webhooks/ci/test');
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.ok, true);
  assert.equal(t.body.statusCode, 204);
  const got = received.at(-1)!;
  assert.match(String(got.headers['content-type']), /^application\/cloudevents\+json/);
  const event = JSON.parse(got.body);
  assert.equal(event.specversion, '1.0');
  assert.equal(event.type, 'io.tugboat.webhook.test');
  assert.equal(event.id, got.headers['webhook-id']);
  assert.ok(verify(secret, got), 'the signature checks out with the secret');
  assert.ok(!verify('whsec_' + Buffer.alloc(24, 7).toString('base64'), got), 'and not with another');
});

test('a finished SyncRun is one event; a failing receiver is retried and each attempt logged', async () => {
  const before = received.length;
  answers.push(500);
  assert.equal((await s.api('POST', '/namespaces/hooks/repositories', { body: repositoryDoc('app', { repository: 'a/b', tag: '1', registryRef: { name: 'down' }, retryCount: 0 }, 'hooks') })).status, 201);
  // Nothing listens on port 9: the sync fails at once; the receiver answers 500, then 204.
  await waitFor('the retried delivery', async () => received.length >= before + 2);
  const [first, second] = received.slice(before);
  assert.equal(first!.body, second!.body, 'the same event again');
  const event = JSON.parse(second!.body);
  assert.equal(event.type, 'io.tugboat.syncrun.finished');
  assert.equal(event.data.result, 'failure');
  assert.equal(event.data.run.spec.repositoryName, 'app');
  assert.match(event.source, /\/namespaces\/hooks\/repositories\/app$/);
  assert.ok(verify(secret, second!));
  const log = await waitFor('two attempts logged', async () => {
    const items = (await s.api('GET', '/namespaces/hooks/webhooks/ci/deliveries')).body.items;
    return items.filter((d: any) => d.eventId === event.id).length === 2 && items;
  });
  const attempts = log.filter((d: any) => d.eventId === event.id);
  assert.deepEqual(attempts.map((d: any) => [d.attempt, d.ok, d.statusCode]), [[2, true, 204], [1, false, 500]]);
  assert.equal(attempts[1].reason, 'Answered', 'a non-2xx status has its reason code');
  assert.equal(attempts[0].reason, undefined, 'a delivered attempt has none');
  assert.ok(attempts[1].retryAt, 'the failed attempt says when the next runs');
  assert.equal(attempts[0].retryAt, undefined, 'the delivered one schedules nothing more');
  // One event per run (retryCount 0: one run): the two deliveries are of one event id.
  assert.deepEqual(new Set(received.slice(before).filter((r) => JSON.parse(r.body).type === 'io.tugboat.syncrun.finished').map((r) => r.headers['webhook-id'])), new Set([event.id]));
});

test('the egress policy holds for webhooks; bad URLs, viewers and other namespaces are refused', async () => {
  const meta = await s.api('POST', '/namespaces/hooks/webhooks', { body: { metadata: { name: 'metadata' }, spec: { url: 'http://169.254.169.254/latest/meta-data/' } } });
  assert.equal(meta.status, 201);
  const t = await s.api('POST', '/namespaces/hooks/webhooks/metadata/test');
  assert.equal(t.body.ok, false);
  assert.match(t.body.error, /169\.254\.169\.254/);
  assert.equal(t.body.reason, 'EgressRefused');
  // Nothing listens on port 9: a refused connection is named as such, for the console to word.
  assert.equal((await s.api('POST', '/namespaces/hooks/webhooks', { body: { metadata: { name: 'closed' }, spec: { url: 'http://127.0.0.1:9/hook' } } })).status, 201);
  const closed = await s.api('POST', '/namespaces/hooks/webhooks/closed/test');
  assert.deepEqual([closed.body.ok, closed.body.reason], [false, 'ConnectionRefused'], closed.text);
  for (const url of ['ftp://example.com/', 'https://user:pw@example.com/', 'not a url']) {
    const r = await s.api('POST', '/namespaces/hooks/webhooks', { body: { metadata: { name: 'bad' }, spec: { url } } });
    assert.equal(r.status, 422, url);
  }
  const viewer = await s.token('hook-viewer', 'viewer');
  assert.equal((await s.api('GET', '/namespaces/hooks/webhooks', { token: viewer })).status, 403, 'a receiver URL may itself be a secret');
  const other = await s.token('hook-other', 'editor', ['elsewhere']);
  assert.equal((await s.api('GET', '/namespaces/hooks/webhooks/ci', { token: other })).status, 404);
  assert.equal((await s.api('POST', '/namespaces/hooks/webhooks/ci/test', { token: other })).status, 404);
  assert.ok(!s.logs.join('\n').includes(secret), 'the secret is not logged');
  assert.equal((await s.api('DELETE', '/namespaces/hooks/webhooks/ci')).status, 200);
  assert.equal((await s.api('GET', '/namespaces/hooks/webhooks/ci/deliveries')).status, 404);
});

test('a health change is one io.tugboat.repository.health.changed event naming both states', async () => {
  const { cloudEventsOf } = await import('../../src/server/webhooks.ts');
  const repository = (await s.api('GET', '/namespaces/hooks/repositories/app')).body;
  const health = { pullable: false, state: 'Unhealthy' as const, checkedAt: new Date().toISOString(), message: 'mirror: gone' };
  const [out, ...rest] = cloudEventsOf({ type: 'health-changed', repository, from: 'Healthy', health });
  assert.equal(rest.length, 0);
  assert.equal(out!.namespace, 'hooks');
  assert.equal(out!.event.type, 'io.tugboat.repository.health.changed');
  assert.deepEqual(out!.event.data, { from: 'Healthy', to: 'Unhealthy', health, image: 'a/b:1' });
  assert.deepEqual(cloudEventsOf({ type: 'queue', running: 1, waiting: 0 }), [], 'nothing else is sent');
});
