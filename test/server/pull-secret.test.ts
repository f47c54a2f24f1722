/**
 * `GET .../registries/{name}/pull-secret` (issue 13 item 5): the commands a
 * Registry's users run to make their own pull Secret. The stored password and
 * token are never in the answer, in any spelling (plain, base64, in a
 * dockerconfigjson `auth`), and the route answers whoever may read the Registry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shellWord } from '../../src/server/pull-secret-commands.ts';
import { type TestServer, registryDoc, startTestServer } from './harness.ts';

const PASSWORD = 'CANARY-pull-pw-5d1e9b07';
const TOKEN = 'CANARY-pull-token-a3c40f18';

/** Every spelling of `secret` a careless answer could carry. */
function spellings(user: string, secret: string): string[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [secret, b64(secret), b64(`${user}:${secret}`), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

describe('registry pull-secret commands', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    for (const [ns, name, url, credentials] of [
      ['default', 'harbor', 'https://harbor.example.com:8443', { username: 'robot$edge', password: PASSWORD }],
      ['team-b', 'tokened', 'registry.example.com', { token: TOKEN }],
    ] as const) {
      const created = await s.api('POST', `/namespaces/${ns}/registries`, { body: registryDoc(name, url, { credentials }, ns) });
      assert.equal(created.status, 201, created.text);
    }
  });
  after(async () => {
    await s?.close();
  });

  test('answers the host, user and both commands, never the password', async () => {
    const viewer = await s.token('pull-viewer', 'viewer');
    const r = await s.api('GET', '/namespaces/default/registries/harbor/pull-secret?secretName=edge-registry&kubeNamespace=kube-system', { token: viewer });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.kind, 'RegistryPullSecret');
    assert.equal(r.body.server, 'harbor.example.com:8443');
    assert.equal(r.body.username, 'robot$edge');
    assert.equal(
      r.body.commands.tug,
      `printf '%s\\n' "$PASSWORD" | tug kube pull-secret --name edge-registry -n kube-system -u 'robot$edge' --password-stdin harbor.example.com:8443 | kubectl apply -f -`,
    );
    assert.equal(r.body.commands.kubectl, `kubectl create secret docker-registry edge-registry --docker-server=harbor.example.com:8443 --docker-username='robot$edge' --docker-password="$PASSWORD" -n kube-system`);
    for (const spelled of spellings('robot$edge', PASSWORD)) assert.ok(!r.text.includes(spelled), `the answer holds the password (${spelled})`);
    assert.ok(!s.logs.join('').includes(PASSWORD), 'the server log holds the password');
  });

  test('defaults: the Registry name and namespace default; a token-only Registry uses $USERNAME and never shows the token', async () => {
    const r = await s.api('GET', '/namespaces/team-b/registries/tokened/pull-secret');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.username, undefined);
    assert.equal(r.body.secretName, 'tokened');
    assert.equal(r.body.kubeNamespace, 'default');
    assert.match(r.body.commands.kubectl, /--docker-username="\$USERNAME"/);
    for (const spelled of spellings('', TOKEN)) assert.ok(!r.text.includes(spelled), `the answer holds the token (${spelled})`);
  });

  test('names that are not Kubernetes names are refused, so nothing reaches the shell unchecked', async () => {
    for (const q of ['secretName=a;rm%20-rf', 'kubeNamespace=$(id)', 'secretName=A', 'kubeNamespace=a.b', 'secretName=a&secretName=b']) {
      const r = await s.api('GET', `/namespaces/default/registries/harbor/pull-secret?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.body.kind, 'Status');
    }
  });

  test('whoever cannot read the Registry gets 401 or 404, as for reading it', async () => {
    assert.equal((await s.api('GET', '/namespaces/default/registries/harbor/pull-secret', { token: null })).status, 401);
    const scoped = await s.token('pull-team-b', 'viewer', ['team-b']);
    const hidden = await s.api('GET', '/namespaces/default/registries/harbor/pull-secret', { token: scoped });
    assert.equal(hidden.status, 404, hidden.text);
    assert.ok(!hidden.text.includes('harbor.example.com'));
    assert.equal((await s.api('GET', '/namespaces/team-b/registries/tokened/pull-secret', { token: scoped })).status, 200);
    assert.equal((await s.api('GET', '/namespaces/default/registries/missing/pull-secret')).status, 404);
  });

  test('shellWord keeps plain words and single-quotes the rest', () => {
    const cases: [string, string][] = [
      ['harbor.example.com:5000', 'harbor.example.com:5000'],
      ['robot$edge', `'robot$edge'`],
      ["o'brien", `'o'\\''brien'`],
      ['[::1]:5000', `'[::1]:5000'`],
    ];
    for (const [input, want] of cases) assert.equal(shellWord(input), want, input);
  });
});
