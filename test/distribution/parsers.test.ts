/**
 * Table-driven tests for the client's pure parts: challenges, token expiry
 * and cache, Link and Retry-After parsing, backoff, the plain-HTTP policy,
 * and the mapping of HTTP answers / network errors to error codes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TokenCache,
  apiHost,
  backoffDelay,
  errorFromNetwork,
  errorFromResponse,
  isLoopbackHost,
  isRetryable,
  mayFallBackToHttp,
  parseNextLink,
  parseRetryAfter,
  parseWwwAuthenticate,
  repositoryScope,
  tokenExpiry,
} from '../../src/distribution/index.ts';
import { RegistryError } from '../../src/errors/index.ts';

const challengeCases: { name: string; header: string; want: { scheme: string; params: Record<string, string> }[] }[] = [
  {
    name: 'docker hub bearer',
    header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    want: [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } }],
  },
  { name: 'basic', header: 'Basic realm="tugboat-test"', want: [{ scheme: 'basic', params: { realm: 'tugboat-test' } }] },
  {
    name: 'comma inside quotes and a multi-action scope',
    header: 'Bearer realm="http://127.0.0.1:1/token",scope="repository:a/b:pull,push",error="insufficient_scope"',
    want: [{ scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', scope: 'repository:a/b:pull,push', error: 'insufficient_scope' } }],
  },
  {
    name: 'two challenges in one header, spaces and escapes',
    header: 'Basic realm="a \\"quoted\\" realm" , Bearer realm=https://t.example/token, service=svc',
    want: [
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'svc' } },
    ],
  },
  { name: 'upper-case scheme and keys', header: 'BEARER Realm="x"', want: [{ scheme: 'bearer', params: { realm: 'x' } }] },
];

for (const c of challengeCases) {
  test(`parseWwwAuthenticate: ${c.name}`, () => {
    assert.deepEqual(parseWwwAuthenticate(c.header), c.want);
  });
}

test('repositoryScope spells scopes as the token spec does', () => {
  assert.equal(repositoryScope('team/app', ['pull']), 'repository:team/app:pull');
  assert.equal(repositoryScope('team/app', ['pull', 'push']), 'repository:team/app:pull,push');
});

const now = Date.parse('2025-01-07T00:00:00Z');
const expiryCases: { name: string; answer: Record<string, unknown>; want: number }[] = [
  { name: 'no expires_in: 60 s minus 6 s slack', answer: {}, want: now + 60_000 - 6_000 },
  { name: 'expires_in 300 s', answer: { expires_in: 300 }, want: now + 300_000 - 10_000 },
  { name: 'issued_at in the past counts from issue time', answer: { expires_in: 300, issued_at: '2025-01-06T23:59:00Z' }, want: now - 60_000 + 300_000 - 10_000 },
  { name: 'absurd issued_at is ignored', answer: { expires_in: 300, issued_at: '1999-01-01T00:00:00Z' }, want: now + 300_000 - 10_000 },
  { name: 'non-numeric expires_in falls back to 60 s', answer: { expires_in: 'soon' }, want: now + 60_000 - 6_000 },
];
for (const c of expiryCases) {
  test(`tokenExpiry: ${c.name}`, () => {
    assert.equal(tokenExpiry(c.answer, now), c.want);
  });
}

test('TokenCache returns a token until it expires, then forgets it', () => {
  let clock = 1000;
  const cache = new TokenCache(() => clock);
  cache.set('k', 'tok', 2000);
  assert.equal(cache.get('k'), 'tok');
  clock = 1999;
  assert.equal(cache.get('k'), 'tok');
  clock = 2000;
  assert.equal(cache.get('k'), undefined);
  assert.equal(cache.size, 0);
});

const linkCases: { header: string | undefined; want: string | undefined }[] = [
  { header: '</v2/a/tags/list?last=b&n=2>; rel="next"', want: '/v2/a/tags/list?last=b&n=2' },
  { header: '<https://r.example/v2/a/tags/list?n=2&last=b>; rel=next', want: 'https://r.example/v2/a/tags/list?n=2&last=b' },
  { header: '</prev>; rel="prev", </next>; rel="next"', want: '/next' },
  { header: '</x>; rel="previous"', want: undefined },
  { header: undefined, want: undefined },
];
for (const c of linkCases) {
  test(`parseNextLink(${JSON.stringify(c.header)})`, () => {
    assert.equal(parseNextLink(c.header), c.want);
  });
}

test('parseRetryAfter reads seconds and HTTP-dates', () => {
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(new Date(now + 5000).toUTCString(), now), 5000);
  assert.equal(parseRetryAfter(new Date(now - 5000).toUTCString(), now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('backoffDelay: full jitter under a doubling ceiling, Retry-After honoured but capped', () => {
  const transient = new RegistryError('TRANSIENT', 'x', { method: 'GET', url: 'http://h/', status: 503, temporary: true });
  assert.equal(backoffDelay(1, transient, { baseDelayMs: 100 }, () => 1), 100);
  assert.equal(backoffDelay(3, transient, { baseDelayMs: 100 }, () => 1), 400);
  assert.equal(backoffDelay(3, transient, { baseDelayMs: 100 }, () => 0), 0);
  assert.equal(backoffDelay(10, transient, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 1), 1000);
  const slow = new RegistryError('TRANSIENT', 'x', { method: 'GET', url: 'http://h/', status: 429, temporary: true, retryAfterMs: 120_000 });
  assert.equal(backoffDelay(1, slow, { maxDelayMs: 30_000 }), 30_000);
  assert.equal(backoffDelay(1, slow, {}), 30_000);
});

const retryableCases: { status: number | undefined; want: boolean }[] = [
  { status: undefined, want: true }, // network error
  { status: 408, want: true },
  { status: 429, want: true },
  { status: 500, want: true },
  { status: 502, want: true },
  { status: 503, want: true },
  { status: 504, want: true },
  { status: 501, want: false },
];
for (const c of retryableCases) {
  test(`isRetryable: TRANSIENT with status ${c.status}`, () => {
    const data = c.status === undefined ? { method: 'GET', url: 'http://h/' } : { method: 'GET', url: 'http://h/', status: c.status };
    assert.equal(isRetryable(new RegistryError('TRANSIENT', 'x', { ...data, temporary: true })), c.want);
  });
}
test('isRetryable: AUTH and plain errors are final', () => {
  assert.equal(isRetryable(new RegistryError('AUTH', 'x', { method: 'GET', url: 'http://h/', status: 401 })), false);
  assert.equal(isRetryable(new Error('boom')), false);
});

const hostCases: { host: string; loopback: boolean }[] = [
  { host: '127.0.0.1:5000', loopback: true },
  { host: '127.1.2.3', loopback: true },
  { host: 'localhost:5000', loopback: true },
  { host: '[::1]:5000', loopback: true },
  { host: 'registry.example.com', loopback: false },
  { host: '10.0.0.1:5000', loopback: false },
  { host: '128.0.0.1', loopback: false },
  { host: 'localhost.example.com', loopback: false },
];
for (const c of hostCases) {
  test(`plain-HTTP policy for ${c.host}`, () => {
    assert.equal(isLoopbackHost(c.host), c.loopback);
    assert.equal(mayFallBackToHttp(c.host, {}), c.loopback);
    // An explicit --tls-verify=true means TLS, loopback or not (skopeo refuses too).
    assert.equal(mayFallBackToHttp(c.host, { tlsVerify: true }), false);
    // --tls-verify=false marks any registry insecure, as containers/image does.
    assert.equal(mayFallBackToHttp(c.host, { tlsVerify: false }), true);
  });
}

test('docker.io maps to registry-1.docker.io; other hosts are themselves', () => {
  assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
  assert.equal(apiHost('quay.io'), 'quay.io');
});

const req = { method: 'GET', url: 'https://user:secret@r.example/v2/a/manifests/1?token=abc', registry: 'r.example', what: 'r.example/a:1', repository: 'a' };
const responseCases: { name: string; status: number; body?: string; headers?: Record<string, string>; write?: boolean; code: string; temporary: boolean; message: RegExp; hint?: RegExp; diagnostics?: string[] }[] = [
  { name: '401', status: 401, body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', code: 'AUTH', temporary: false, message: /authentication required/, hint: /tug login r\.example/, diagnostics: ['UNAUTHORIZED'] },
  { name: '403 on a write', status: 403, write: true, code: 'AUTH', temporary: false, message: /lacks push rights to r\.example\/a/ },
  { name: '403 on a read', status: 403, code: 'AUTH', temporary: false, message: /access denied/ },
  { name: '404 manifest', status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', code: 'NOT_FOUND', temporary: false, message: /r\.example\/a:1: manifest not found/, diagnostics: ['MANIFEST_UNKNOWN'] },
  { name: '404 repository', status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN"}]}', code: 'NOT_FOUND', temporary: false, message: /repository not found/ },
  { name: '429 with Retry-After', status: 429, headers: { 'retry-after': '7' }, code: 'TRANSIENT', temporary: true, message: /HTTP 429/ },
  { name: '503', status: 503, code: 'TRANSIENT', temporary: true, message: /HTTP 503/ },
  { name: '408', status: 408, code: 'TRANSIENT', temporary: true, message: /HTTP 408/ },
  { name: '400 digest invalid', status: 400, body: '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}', code: 'REGISTRY', temporary: false, message: /DIGEST_INVALID/ },
  { name: 'garbage body', status: 400, body: '<html>nope</html>', code: 'REGISTRY', temporary: false, message: /HTTP 400/ },
];
for (const c of responseCases) {
  test(`errorFromResponse: ${c.name}`, () => {
    const err = errorFromResponse({ ...req, write: c.write }, { status: c.status, headers: c.headers ?? {}, body: c.body ?? '' });
    assert.equal(err.code, c.code);
    assert.equal(err.temporary, c.temporary);
    assert.equal(err.status, c.status);
    assert.match(err.message, c.message);
    if (c.hint) assert.match(err.hint ?? '', c.hint);
    if (c.diagnostics) assert.deepEqual(err.diagnostics, c.diagnostics);
    assert.doesNotMatch(err.url, /secret|abc/, 'credentials and tokens are redacted from the URL');
  });
}
test('errorFromResponse: Retry-After becomes retryAfterMs', () => {
  const err = errorFromResponse(req, { status: 429, headers: { 'retry-after': '7' }, body: '' });
  assert.equal(err.retryAfterMs, 7000);
});

const networkCases: { name: string; err: unknown; code: string; hint?: RegExp }[] = [
  { name: 'self-signed', err: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), code: 'TLS', hint: /--cert-dir DIR \(with ca\.crt\)|--tls-verify=false/ },
  { name: 'unknown CA, wrapped by undici', err: Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }) }), code: 'TLS', hint: /--cert-dir/ },
  { name: 'expired', err: Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), code: 'TLS' },
  { name: 'wrong host name', err: Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), code: 'TLS' },
  { name: 'refused', err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), code: 'TRANSIENT' },
  { name: 'unknown host', err: Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' }), code: 'TRANSIENT', hint: /host name/ },
  { name: 'reset', err: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), code: 'TRANSIENT' },
  { name: 'headers timeout', err: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), code: 'TRANSIENT' },
  { name: 'abort', err: Object.assign(new Error('This operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }), code: 'ABORTED' },
];
for (const c of networkCases) {
  test(`errorFromNetwork: ${c.name}`, () => {
    const err = errorFromNetwork(req, c.err);
    assert.equal(err.code, c.code);
    if (c.hint) assert.match(err.hint ?? '', c.hint);
    assert.equal(err instanceof RegistryError && err.temporary, c.code === 'TRANSIENT');
  });
}
