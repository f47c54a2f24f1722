/**
 * The pure parts of src/signature/, table-driven: containers-policy.json
 * parsing (and its one-line refusals), scope matching, signedIdentity
 * matching, simple-signing payloads, and keys of every type cosign signs with.
 */
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { parseReference } from '../../src/reference/index.ts';
import { parsePublicKey, verifySignatures, verifyWithKey } from '../../src/signature/cosign.ts';
import { parsePolicy, requirementsFor } from '../../src/signature/policy.ts';
import { pathScopes, registryScopes } from '../../src/signature/scope.ts';
import { type SignedIdentity, identityMatches, parseSimpleSigning } from '../../src/signature/simple-signing.ts';

const D1 = `sha256:${'a'.repeat(64)}` as const;
const D2 = `sha256:${'b'.repeat(64)}` as const;

const policyErrors: { name: string; doc: unknown; field: string }[] = [
  { name: 'not JSON', doc: '{', field: '(file)' },
  { name: 'no default', doc: { transports: {} }, field: 'default: is missing' },
  { name: 'empty default', doc: { default: [] }, field: 'default: an empty list' },
  { name: 'unknown top field', doc: { default: [{ type: 'reject' }], defualt: [] }, field: '(file).defualt: unknown field' },
  { name: 'unknown requirement', doc: { default: [{ type: 'acceptAll' }] }, field: 'default[0].type: unknown requirement type "acceptAll"' },
  { name: 'extra field on reject', doc: { default: [{ type: 'reject', keyPath: '/k' }] }, field: 'default[0].keyPath: unknown field' },
  { name: 'sigstoreSigned without a key', doc: { default: [{ type: 'sigstoreSigned' }] }, field: 'default[0]: exactly one of keyPath' },
  { name: 'sigstoreSigned with two key sources', doc: { default: [{ type: 'sigstoreSigned', keyPath: '/a', keyData: 'QUJD' }] }, field: 'default[0]: exactly one of keyPath' },
  { name: 'keyData not base64', doc: { default: [{ type: 'sigstoreSigned', keyData: 'not base64!' }] }, field: 'default[0].keyData: must be base64' },
  { name: 'signedBy keyType', doc: { default: [{ type: 'signedBy', keyType: 'X509', keyPath: '/k' }] }, field: 'default[0].keyType' },
  {
    name: 'bad signedIdentity',
    doc: { default: [{ type: 'reject' }], transports: { docker: { 'quay.io': [{ type: 'sigstoreSigned', keyPath: '/k', signedIdentity: { type: 'matchAnything' } }] } } },
    field: 'transports.docker["quay.io"][0].signedIdentity.type: unknown signedIdentity type',
  },
  { name: 'scope not a list', doc: { default: [{ type: 'reject' }], transports: { docker: { 'quay.io': { type: 'reject' } } } }, field: 'transports.docker["quay.io"]: must be a list' },
];

for (const c of policyErrors) {
  test(`policy refused, one line naming the file and field: ${c.name}`, () => {
    const text = typeof c.doc === 'string' ? c.doc : JSON.stringify(c.doc);
    assert.throws(
      () => parsePolicy(text, '/etc/p.json'),
      (err: unknown) => err instanceof TugError && err.code === 'USAGE' && err.message.startsWith('/etc/p.json: ') && err.message.includes(c.field) && !err.describe().includes('\n'),
    );
  });
}

test('policy: a typical file reads, keyless fields are kept to be refused later', () => {
  const p = parsePolicy(
    JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'registry.example.com/team': [{ type: 'sigstoreSigned', keyPath: '/k.pub', signedIdentity: { type: 'matchRepository' } }],
          'quay.io': [{ type: 'sigstoreSigned', fulcio: { caPath: '/ca' }, rekorPublicKeyPath: '/r' }],
          'registry.access.redhat.com': [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: ['/a.gpg', '/b.gpg'] }],
        },
        dir: { '': [{ type: 'insecureAcceptAnything' }] },
      },
    }),
    'p.json',
  );
  const team = requirementsFor(p, 'docker', registryScopes('registry.example.com/team/app:1'));
  assert.equal(team.scope, 'transports.docker["registry.example.com/team"]');
  assert.deepEqual(team.requirements[0], { type: 'sigstoreSigned', keys: [{ path: '/k.pub' }], keyless: [], signedIdentity: { type: 'matchRepository' } });
  assert.deepEqual((requirementsFor(p, 'docker', registryScopes('quay.io/x/y:1')).requirements[0] as { keyless: string[] }).keyless, ['fulcio', 'rekorPublicKeyPath']);
  assert.equal(requirementsFor(p, 'docker', registryScopes('docker.io/library/busybox:1')).scope, 'default');
  assert.equal(requirementsFor(p, 'dir', pathScopes('/tmp/x')).scope, 'transports.dir[""]');
  assert.equal(requirementsFor(p, 'oci', pathScopes('/tmp/x:1')).scope, 'default');
});

const scopeCases: { name: string; got: string[]; want: string[] }[] = [
  {
    name: 'tagged registry image',
    got: registryScopes('registry.example.com:5000/a/b/c:1'),
    want: ['registry.example.com:5000/a/b/c:1', 'registry.example.com:5000/a/b/c', 'registry.example.com:5000/a/b', 'registry.example.com:5000/a', 'registry.example.com:5000', '*.example.com', '*.com'],
  },
  { name: 'digest, Docker Hub normalised', got: registryScopes(`busybox@${D1}`), want: [`docker.io/library/busybox@${D1}`, 'docker.io/library/busybox', 'docker.io/library', 'docker.io', '*.io'] },
  { name: 'IP host: no wildcard', got: registryScopes('127.0.0.1:5000/x:1'), want: ['127.0.0.1:5000/x:1', '127.0.0.1:5000/x', '127.0.0.1:5000'] },
  { name: 'oci path with ref', got: pathScopes('/srv/layouts/app:v1'), want: ['/srv/layouts/app:v1', '/srv/layouts/app', '/srv/layouts', '/srv', '/'] },
  { name: 'dir path', got: pathScopes('/srv/img/'), want: ['/srv/img', '/srv', '/'] },
];
for (const c of scopeCases) test(`scopes, most specific first: ${c.name}`, () => assert.deepEqual(c.got, c.want));

const ref = (s: string) => parseReference(s);
const identityCases: { rule: SignedIdentity; image: string | undefined; signed: string; ok: boolean }[] = [
  { rule: { type: 'matchRepoDigestOrExact' }, image: 'r.io/a/b:1', signed: 'r.io/a/b:1', ok: true },
  { rule: { type: 'matchRepoDigestOrExact' }, image: 'r.io/a/b:1', signed: 'r.io/a/b:2', ok: false },
  { rule: { type: 'matchRepoDigestOrExact' }, image: `r.io/a/b@${D1}`, signed: 'r.io/a/b:anything', ok: true },
  { rule: { type: 'matchRepoDigestOrExact' }, image: 'busybox', signed: 'docker.io/library/busybox:latest', ok: true },
  { rule: { type: 'matchExact' }, image: `r.io/a/b@${D1}`, signed: `r.io/a/b@${D1}`, ok: false },
  { rule: { type: 'matchExact' }, image: 'r.io/a/b:1', signed: 'r.io/a/b:1', ok: true },
  { rule: { type: 'matchRepository' }, image: 'r.io/a/b:1', signed: 'r.io/a/b:2', ok: true },
  { rule: { type: 'matchRepository' }, image: 'r.io/a/b:1', signed: 'r.io/a/c:1', ok: false },
  { rule: { type: 'exactReference', dockerReference: 'up.io/x:1' }, image: undefined, signed: 'up.io/x:1', ok: true },
  { rule: { type: 'exactRepository', dockerRepository: 'up.io/x' }, image: 'mirror.io/y:3', signed: 'up.io/x:9', ok: true },
  { rule: { type: 'remapIdentity', prefix: 'mirror.io/up', signedPrefix: 'up.io' }, image: 'mirror.io/up/x:1', signed: 'up.io/x:1', ok: true },
  { rule: { type: 'remapIdentity', prefix: 'mirror.io/up', signedPrefix: 'up.io' }, image: 'mirror.io/upx/x:1', signed: 'up.io/x:1', ok: false },
  { rule: { type: 'matchRepoDigestOrExact' }, image: undefined, signed: 'r.io/a/b:1', ok: false },
  { rule: { type: 'matchRepository' }, image: 'r.io/a/b:1', signed: 'NOT A REF', ok: false },
];
for (const c of identityCases) {
  test(`signedIdentity ${c.rule.type}: ${c.image ?? '(no name)'} vs ${c.signed} -> ${c.ok}`, () => {
    assert.equal(identityMatches(c.rule, c.image === undefined ? undefined : ref(c.image), c.signed), c.ok);
  });
}

const payload = (over: object = {}) =>
  Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'r.io/a' }, image: { 'docker-manifest-digest': D1 }, type: 'cosign container image signature', ...over }, optional: null }));

const payloadCases: { name: string; bytes: Buffer; problem?: string }[] = [
  { name: 'cosign payload', bytes: payload() },
  { name: 'containers/image payload type', bytes: payload({ type: 'atomic container signature' }) },
  { name: 'wrong type', bytes: payload({ type: 'something else' }), problem: 'critical.type' },
  { name: 'digest not a digest', bytes: payload({ image: { 'docker-manifest-digest': 'sha256:zz' } }), problem: 'docker-manifest-digest' },
  { name: 'no identity', bytes: payload({ identity: {} }), problem: 'docker-reference' },
  { name: 'not JSON', bytes: Buffer.from('\xff{'), problem: 'not JSON' },
];
for (const c of payloadCases) {
  test(`simple-signing payload: ${c.name}`, () => {
    if (!c.problem) assert.equal(parseSimpleSigning(c.bytes, 'p').manifestDigest, D1);
    else assert.throws(() => parseSimpleSigning(c.bytes, 'p'), (e: unknown) => e instanceof TugError && e.code === 'POLICY' && e.message.includes(c.problem!));
  });
}

const keyTypes = [
  { name: 'ECDSA P-256', pair: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }) },
  { name: 'RSA 2048', pair: () => generateKeyPairSync('rsa', { modulusLength: 2048 }) },
  { name: 'Ed25519', pair: () => generateKeyPairSync('ed25519') },
];
for (const k of keyTypes) {
  test(`keys: ${k.name} signatures verify, others do not`, () => {
    const { privateKey, publicKey } = k.pair();
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const key = parsePublicKey(pem, 'k.pub');
    const bytes = payload();
    const sig = privateKey.asymmetricKeyType === 'ed25519' ? sign(null, bytes, privateKey) : createSign('sha256').update(bytes).sign(privateKey);
    assert.equal(verifyWithKey(bytes, sig, key.key), true);
    assert.equal(verifyWithKey(payload({ image: { 'docker-manifest-digest': D2 } }), sig, key.key), false, 'another payload');
    assert.equal(verifyWithKey(bytes, Buffer.from('garbage'), key.key), false, 'garbage signature');
    const found = [{ payload: bytes, signature: sig, where: 't.sig' }];
    assert.equal(verifySignatures(found, [key], D1).status, 'verified');
    const other = verifySignatures(found, [key], D2);
    assert.equal(other.status, 'invalid');
    assert.match((other as { reason: string }).reason, /is for sha256:a+, not sha256:b+/);
  });
}

test('keys: private keys, certificates and junk are refused with one line', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cases = [
    { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), want: /is a private key/ },
    { pem: 'hello', want: /is not a PEM public key/ },
    { pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', want: /is not a readable public key/ },
  ];
  for (const c of cases) assert.throws(() => parsePublicKey(c.pem, 'k.pub'), (e: unknown) => e instanceof TugError && e.code === 'USAGE' && c.want.test(e.message));
});

test('verdicts: unsigned, wrong key, altered payload', () => {
  const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyA = parsePublicKey(a.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'a.pub');
  const bytes = payload();
  const sigB = createSign('sha256').update(bytes).sign(b.privateKey);
  assert.deepEqual(verifySignatures([], [keyA], D1), { status: 'unsigned' });
  const wrong = verifySignatures([{ payload: bytes, signature: sigB, where: 'x.sig' }], [keyA], D1);
  assert.equal(wrong.status, 'invalid');
  assert.match((wrong as { reason: string }).reason, /does not verify with a\.pub/);
  const altered = verifySignatures([{ payload: new Uint8Array(), signature: sigB, where: 'x.sig', problem: 'digest mismatch' }], [keyA], D1);
  assert.match((altered as { reason: string }).reason, /was altered/);
});
