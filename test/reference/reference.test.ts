import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { parseDigest, parseReference, parseRepository } from '../../src/reference/index.ts';

const D = `sha256:${'a'.repeat(64)}`;

const valid: { in: string; out: string; registry: string; repository: string; tag?: string; digest?: string }[] = [
  { in: 'nginx', out: 'docker.io/library/nginx:latest', registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
  { in: 'nginx:1.27', out: 'docker.io/library/nginx:1.27', registry: 'docker.io', repository: 'library/nginx', tag: '1.27' },
  { in: 'openyurt/yurthub:v1.6.0', out: 'docker.io/openyurt/yurthub:v1.6.0', registry: 'docker.io', repository: 'openyurt/yurthub', tag: 'v1.6.0' },
  { in: 'docker.io/nginx', out: 'docker.io/library/nginx:latest', registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
  { in: 'index.docker.io/library/nginx:1', out: 'docker.io/library/nginx:1', registry: 'docker.io', repository: 'library/nginx', tag: '1' },
  { in: 'localhost/app', out: 'localhost/app:latest', registry: 'localhost', repository: 'app', tag: 'latest' },
  { in: 'localhost:5000/a/b/c:t', out: 'localhost:5000/a/b/c:t', registry: 'localhost:5000', repository: 'a/b/c', tag: 't' },
  { in: '127.0.0.1:5000/edge/yurt-manager:v1.6.0', out: '127.0.0.1:5000/edge/yurt-manager:v1.6.0', registry: '127.0.0.1:5000', repository: 'edge/yurt-manager', tag: 'v1.6.0' },
  { in: 'quanzhenglong.com/edge/yurthub', out: 'quanzhenglong.com/edge/yurthub:latest', registry: 'quanzhenglong.com', repository: 'edge/yurthub', tag: 'latest' },
  { in: `nginx@${D}`, out: `docker.io/library/nginx@${D}`, registry: 'docker.io', repository: 'library/nginx', digest: D },
  { in: `r.example.com/a:1@${D}`, out: `r.example.com/a:1@${D}`, registry: 'r.example.com', repository: 'a', tag: '1', digest: D },
  { in: 'Registry.Example.com/a', out: 'registry.example.com/a:latest', registry: 'registry.example.com', repository: 'a', tag: 'latest' },
  { in: '[::1]:5000/a:b', out: '[::1]:5000/a:b', registry: '[::1]:5000', repository: 'a', tag: 'b' },
  { in: 'a/b__c/d-e.f:_x', out: 'docker.io/a/b__c/d-e.f:_x', registry: 'docker.io', repository: 'a/b__c/d-e.f', tag: '_x' },
  { in: `r.io/x:${'t'.repeat(128)}`, out: `r.io/x:${'t'.repeat(128)}`, registry: 'r.io', repository: 'x', tag: 't'.repeat(128) },
];

for (const c of valid) {
  test(`parse ${c.in}`, () => {
    const r = parseReference(c.in);
    assert.equal(r.toString(), c.out);
    assert.equal(r.registry, c.registry);
    assert.equal(r.repository, c.repository);
    assert.equal(r.tag, c.tag);
    assert.equal(r.digest, c.digest);
    // format(parse(x)) round-trips to the same value
    assert.ok(parseReference(r.toString()).equals(r));
  });
}

const invalid: { in: string; names: RegExp }[] = [
  { in: '', names: /empty/ },
  { in: 'Nginx', names: /must be lower-case/ },
  { in: 'Foo/bar', names: /must be lower-case/ },
  { in: 'nginx:', names: /tag ""/ },
  { in: 'nginx:-bad', names: /tag "-bad"/ },
  { in: `nginx:${'t'.repeat(129)}`, names: /tag/ },
  { in: 'nginx@sha256:abc', names: /digest "sha256:abc"/ },
  { in: `nginx@sha256:${'A'.repeat(64)}`, names: /digest/ },
  { in: `nginx@md5:${'a'.repeat(32)}`, names: /digest/ },
  { in: 'a//b', names: /empty path component/ },
  { in: 'r.io/../etc', names: /contains "\.\."/ },
  { in: 'r.io/a/-b', names: /component "-b"/ },
  { in: 'r.io/a..b', names: /component "a\.\.b"/ },
  { in: 'bad_host.io:x/a', names: /registry|tag/ },
  { in: 'has space', names: /white space/ },
  { in: 'docker://nginx', names: /transport prefix/ },
  { in: `r.io/${'a'.repeat(260)}`, names: /limit is 255/ },
];

for (const c of invalid) {
  test(`refuse ${JSON.stringify(c.in.slice(0, 40))}`, () => {
    assert.throws(
      () => parseReference(c.in),
      (err: unknown) => err instanceof TugError && err.code === 'USAGE' && c.names.test(err.message),
    );
  });
}

test('withTag / withDigest return copies', () => {
  const r = parseReference('r.io/a:1');
  const t = r.withTag('2');
  assert.equal(r.tag, '1');
  assert.equal(t.toString(), 'r.io/a:2');
  assert.equal(r.withDigest(D).toString(), `r.io/a:1@${D}`);
  assert.throws(() => r.withTag('../x'), TugError);
  assert.ok(Object.isFrozen(r));
});

test('familiar names drop docker.io/library', () => {
  assert.equal(parseReference('nginx:1').familiar(), 'nginx:1');
  assert.equal(parseReference('openyurt/yurthub:v1').familiar(), 'openyurt/yurthub:v1');
  assert.equal(parseReference('r.io/a:1').familiar(), 'r.io/a:1');
});

test('repository names take no tag', () => {
  assert.equal(parseRepository('r.io/a/b').name, 'r.io/a/b');
  assert.throws(() => parseRepository('r.io/a:1'), /takes no tag/);
});

test('digests: only canonical sha256 / sha512 are accepted', () => {
  assert.equal(parseDigest(D), D);
  assert.equal(parseDigest(`sha512:${'b'.repeat(128)}`), `sha512:${'b'.repeat(128)}`);
  for (const bad of [`sha256:${'a'.repeat(63)}`, `sha256:../../${'a'.repeat(58)}`, `SHA256:${'a'.repeat(64)}`, `sha384:${'a'.repeat(96)}`, 42, null]) {
    assert.throws(() => parseDigest(bad), (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT');
  }
});
