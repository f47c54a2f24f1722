/**
 * The egress policy (src/distribution/egress.ts): its rules and precedence
 * as a table, then the client against a recording listener on loopback: a
 * refused address gets no connection at all, whether it is an IP literal, a
 * name resolving to it (`localhost`), a token realm on another host or a
 * blob redirect target.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TransportEvent } from '../../src/context/system-context.ts';
import { RegistryClient, createEgressPolicy, effectiveAddress, parseEgressRule } from '../../src/distribution/index.ts';
import type { TugError } from '../../src/errors/index.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type RecordingListener, startListener } from '../support/listener.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TokenServer, startTokenServer } from '../support/token-server.ts';
import { startProxy } from './proxy.ts';
import { tempDir } from '../support/tmp.ts';

describe('egress policy rules', () => {
  const cases: { name: string; allow?: string[]; deny?: string[]; host: string; address?: string; refused: RegExp | undefined }[] = [
    { name: 'metadata address literal', host: '169.254.169.254', refused: /^egress policy refuses 169\.254\.169\.254 \(cloud metadata\); allow it with --egress-allow 169\.254\.169\.254$/ },
    { name: 'other link-local', host: '169.254.10.1', refused: /169\.254\.10\.1 \(link-local\)/ },
    { name: 'IPv6 link-local', host: 'fe80::1', refused: /fe80::1 \(link-local\)/ },
    { name: 'AWS IPv6 metadata', host: 'fd00:ec2::254', refused: /cloud metadata/ },
    { name: 'Alibaba metadata', host: '100.100.100.200', refused: /cloud metadata/ },
    { name: 'IPv4-mapped IPv6 metadata', host: '::ffff:169.254.169.254', refused: /refuses 169\.254\.169\.254 \(cloud metadata\)/ },
    { name: 'NAT64 metadata', host: '64:ff9b::a9fe:a9fe', refused: /refuses 169\.254\.169\.254 \(cloud metadata\)/ },
    { name: 'GCP metadata name, before DNS', host: 'metadata.google.internal', refused: /refuses metadata\.google\.internal \(cloud metadata\); allow it with --egress-allow metadata\.google\.internal/ },
    { name: 'names compare without case and trailing dot', host: 'Metadata.Google.Internal.', refused: /cloud metadata/ },
    { name: 'a name resolving to metadata', host: 'registry.example', address: '169.254.169.254', refused: /refuses registry\.example at 169\.254\.169\.254 \(cloud metadata\)/ },
    { name: 'loopback is normal', host: '127.0.0.1', refused: undefined },
    { name: 'IPv6 loopback is normal', host: '::1', refused: undefined },
    { name: 'private networks are normal', host: 'registry.example', address: '10.0.0.1', refused: undefined },
    { name: 'a name alone is allowed before DNS', host: 'registry.example', refused: undefined },
    { name: 'explicit allow re-opens a default deny', allow: ['169.254.169.254'], host: '169.254.169.254', refused: undefined },
    { name: 'an allowed address re-opens only itself', allow: ['169.254.169.254'], host: '169.254.1.1', refused: /link-local/ },
    { name: 'allow by suffix re-opens what the name resolves to', allow: ['*.corp.example'], host: 'a.corp.example', address: '169.254.1.1', refused: undefined },
    { name: 'a suffix does not match its apex', allow: ['*.corp.example'], host: 'corp.example', address: '169.254.1.1', refused: /link-local/ },
    { name: 'explicit deny wins over explicit allow', allow: ['10.1.2.3'], deny: ['10.0.0.0/8'], host: '10.1.2.3', refused: /^egress policy refuses 10\.1\.2\.3 \(--egress-deny 10\.0\.0\.0\/8\)$/ },
    { name: 'deny loopback CIDR', deny: ['127.0.0.0/8'], host: '127.0.0.1', refused: /--egress-deny 127\.0\.0\.0\/8/ },
    { name: 'deny CIDR catches a resolved name', deny: ['127.0.0.0/8'], host: 'localhost', address: '127.0.0.1', refused: /refuses localhost at 127\.0\.0\.1/ },
    { name: 'deny CIDR catches a mapped address', deny: ['127.0.0.0/8'], host: '::ffff:127.0.0.1', refused: /refuses 127\.0\.0\.1/ },
    { name: 'deny by exact name, before DNS', deny: ['registry.example'], host: 'REGISTRY.example', refused: /--egress-deny registry\.example/ },
    { name: 'deny IPv6 CIDR', deny: ['::1/128'], host: '::1', refused: /--egress-deny ::1\/128/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const policy = createEgressPolicy({ allow: c.allow, deny: c.deny });
      const got = policy.refusal(c.host, c.address);
      if (c.refused === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '(allowed)', c.refused);
    });
  }

  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'not a host!', '*.', '', '::1/129', 'a/b']) {
    test(`rule ${JSON.stringify(bad)} is a USAGE error naming it`, () => {
      assert.throws(() => parseEgressRule(bad), (e: TugError) => e.code === 'USAGE' && e.message.includes(JSON.stringify(bad)));
    });
  }

  test('effective addresses: mapped and NAT64 become IPv4, others stay', () => {
    assert.equal(effectiveAddress('::ffff:a9fe:a9fe'), '169.254.169.254');
    assert.equal(effectiveAddress('::FFFF:10.0.0.1'), '10.0.0.1');
    assert.equal(effectiveAddress('64:ff9b::7f00:1'), '127.0.0.1');
    assert.equal(effectiveAddress('2001:db8::1'), '2001:db8::1');
    assert.equal(effectiveAddress('10.0.0.1'), '10.0.0.1');
  });
});

describe('egress policy in the client', () => {
  let listener: RecordingListener;
  let reg: TestRegistry;
  let tokens: TokenServer;
  let image: GeneratedImage;
  let authDir: string;
  let authFile: string;

  before(async () => {
    listener = await startListener();
    tokens = await startTokenServer({ users: { alice: 'wonderland' } });
    image = await makeImage({ seed: 'egress', flavour: 'oci' });
    authDir = tempDir(undefined, 'tug-egress-');
    authFile = join(authDir, 'auth.json');
    writeFileSync(authFile, '{"auths":{}}');
  });

  after(async () => {
    await Promise.all([listener?.stop(), reg?.stop(), tokens?.stop()]);
  });

  async function refusedWithoutConnecting(host: string, deny: string[], message: RegExp) {
    const before = listener.connections;
    const events: TransportEvent[] = [];
    const c = new RegistryClient(host, { authFile, egress: createEgressPolicy({ deny }), onEvent: (e) => events.push(e) });
    try {
      await assert.rejects(c.ping(), (e: TugError) => {
        assert.equal(e.code, 'UNSAFE_INPUT');
        assert.match(e.message, message);
        return true;
      });
    } finally {
      await c.close();
    }
    assert.equal(listener.connections, before, 'the listener must not see a connection');
    assert.deepEqual(events.filter((e) => e.type === 'retry'), [], 'a refusal is not retried');
  }

  test('without a policy the listener is reached (the control)', async () => {
    const before = listener.connections;
    const c = new RegistryClient(listener.host, { authFile });
    try {
      assert.equal((await c.ping()).status, 401);
    } finally {
      await c.close();
    }
    assert.ok(listener.connections > before);
  });

  test('a denied IP literal is refused before any connection', async () => {
    await refusedWithoutConnecting(listener.host, ['127.0.0.0/8'], /^egress policy refuses 127\.0\.0\.1 \(--egress-deny 127\.0\.0\.0\/8\)$/);
  });

  test('a name resolving to a denied address (localhost) is refused before any connection', async () => {
    await refusedWithoutConnecting(`localhost:${listener.port}`, ['127.0.0.0/8', '::1'], /^egress policy refuses localhost at (127\.0\.0\.1|::1) \(--egress-deny/);
  });

  test('a token realm on a denied host gets no connection, credentials or not', async () => {
    // The real registry on 127.0.0.1 (allowed) names a realm on "localhost" (denied by name).
    reg = await startRegistry({ tokenAuth: { realm: `http://localhost:${listener.port}/token`, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
    const before = listener.connections;
    const c = new RegistryClient(reg.host, { authFile, credentials: { username: 'alice', password: 'wonderland' }, egress: createEgressPolicy({ deny: ['localhost'] }), retryMaxAttempts: 1 });
    try {
      await assert.rejects(c.getManifest('eg/app', 'v1'), (e: TugError) => e.code === 'UNSAFE_INPUT' && /egress policy refuses localhost \(--egress-deny localhost\)/.test(e.message));
    } finally {
      await c.close();
    }
    assert.equal(listener.connections, before);
  });

  test('a blob redirect to a denied host gets no connection', async () => {
    const plain = await startRegistry();
    await pushImage({ url: plain.url, repository: 'eg/app', tag: 'v1' }, image);
    const blob = [...image.blobs.values()][0]!;
    const proxy = await startProxy(plain.url, {
      handle: (req, res) => {
        if (req.method !== 'GET' || !req.url?.includes('/blobs/')) return false;
        res.writeHead(307, { location: `http://localhost:${listener.port}/storage/blob` });
        res.end();
        return true;
      },
    });
    const before = listener.connections;
    const c = new RegistryClient(proxy.host, { authFile, egress: createEgressPolicy({ deny: ['localhost'] }), retryMaxAttempts: 1 });
    try {
      await assert.rejects(c.getBlob('eg/app', { digest: blob.digest as `sha256:${string}`, size: blob.size }), (e: TugError) => e.code === 'UNSAFE_INPUT' && /egress policy refuses localhost/.test(e.message));
    } finally {
      await c.close();
      await proxy.stop();
      await plain.stop();
    }
    assert.equal(listener.connections, before);
  });
});
