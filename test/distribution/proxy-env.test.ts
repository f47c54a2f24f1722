/**
 * The proxy environment read as Go's http.ProxyFromEnvironment reads it: the
 * cases mirror golang.org/x/net/http/httpproxy's proxy_test.go
 * (proxyForURLTests, UseProxyTests, TestInvalidNoProxy, TestAllNoProxy)
 * and add the IP, CIDR and port forms of NO_PROXY.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ProxyEnvironment, parseNoProxy, proxyEnvironment, proxyForUrl, useProxy } from '../../src/distribution/proxy-env.ts';
import { proxyChooser, proxySettingProblem } from '../../src/distribution/proxy.ts';
import { TugError } from '../../src/errors/index.ts';

const cfg = (c: Partial<ProxyEnvironment>): ProxyEnvironment => ({ httpProxy: '', httpsProxy: '', noProxy: '', cgi: false, ...c });

const forUrl: { name: string; env: Partial<ProxyEnvironment>; req?: string; want: string | undefined }[] = [
  { name: 'bare host:port means http', env: { httpProxy: '127.0.0.1:8080' }, want: 'http://127.0.0.1:8080/' },
  { name: 'name:port', env: { httpProxy: 'cache.corp.example.com:1234' }, want: 'http://cache.corp.example.com:1234/' },
  { name: 'bare name', env: { httpProxy: 'cache.corp.example.com' }, want: 'http://cache.corp.example.com/' },
  { name: 'https proxy', env: { httpProxy: 'https://cache.corp.example.com' }, want: 'https://cache.corp.example.com/' },
  { name: 'http URL', env: { httpProxy: 'http://127.0.0.1:8080' }, want: 'http://127.0.0.1:8080/' },
  { name: 'https URL', env: { httpProxy: 'https://127.0.0.1:8080' }, want: 'https://127.0.0.1:8080/' },
  { name: 'HTTP_PROXY for http targets', env: { httpProxy: 'http.proxy.tld', httpsProxy: 'secure.proxy.tld' }, req: 'http://insecure.tld/', want: 'http://http.proxy.tld/' },
  { name: 'HTTPS_PROXY for https targets', env: { httpProxy: 'http.proxy.tld', httpsProxy: 'secure.proxy.tld' }, req: 'https://secure.tld/', want: 'http://secure.proxy.tld/' },
  { name: 'https HTTPS_PROXY', env: { httpProxy: 'http.proxy.tld', httpsProxy: 'https://secure.proxy.tld' }, req: 'https://secure.tld/', want: 'https://secure.proxy.tld/' },
  { name: 'HTTPS_PROXY still applies in CGI', env: { httpsProxy: 'https://secure.proxy.tld', cgi: true }, req: 'https://secure.tld/', want: 'https://secure.proxy.tld/' },
  { name: 'nothing set', env: {}, want: undefined },
  { name: 'NO_PROXY name matches itself', env: { noProxy: 'example.com', httpProxy: 'proxy' }, req: 'http://example.com/', want: undefined },
  { name: 'NO_PROXY .name does not match itself', env: { noProxy: '.example.com', httpProxy: 'proxy' }, req: 'http://example.com/', want: 'http://proxy/' },
  { name: 'NO_PROXY is not a plain suffix', env: { noProxy: 'ample.com', httpProxy: 'proxy' }, req: 'http://example.com/', want: 'http://proxy/' },
  { name: 'NO_PROXY name matches below', env: { noProxy: 'example.com', httpProxy: 'proxy' }, req: 'http://foo.example.com/', want: undefined },
  { name: 'NO_PROXY other domain', env: { noProxy: '.foo.com', httpProxy: 'proxy' }, req: 'http://example.com/', want: 'http://proxy/' },
  { name: 'loopback is never proxied', env: { httpsProxy: 'proxy' }, req: 'https://127.0.0.1:5000/', want: undefined },
  { name: 'nor localhost', env: { httpsProxy: 'proxy' }, req: 'https://localhost:5000/', want: undefined },
  { name: 'but a name below localhost is', env: { httpsProxy: 'proxy' }, req: 'https://registry.localhost:5000/', want: 'http://proxy/' },
  { name: 'NO_PROXY CIDR', env: { noProxy: '10.0.0.0/8', httpsProxy: 'proxy' }, req: 'https://10.1.2.3/', want: undefined },
  { name: 'NO_PROXY CIDR does not match names', env: { noProxy: '10.0.0.0/8', httpsProxy: 'proxy' }, req: 'https://ten.example/', want: 'http://proxy/' },
  { name: 'NO_PROXY IP with the right port', env: { noProxy: '192.168.0.1:5000', httpsProxy: 'proxy' }, req: 'https://192.168.0.1:5000/', want: undefined },
  { name: 'NO_PROXY IP with another port', env: { noProxy: '192.168.0.1:5000', httpsProxy: 'proxy' }, req: 'https://192.168.0.1/', want: 'http://proxy/' },
  { name: 'NO_PROXY [v6]:port', env: { noProxy: '[2001:db8::52:0:1]:443', httpsProxy: 'proxy' }, req: 'https://[2001:db8::52:0:1]/', want: undefined },
  { name: 'NO_PROXY name:port, default port of https', env: { noProxy: 'reg.example:443', httpsProxy: 'proxy' }, req: 'https://reg.example/', want: undefined },
  { name: 'NO_PROXY name:port, another port', env: { noProxy: 'reg.example:443', httpsProxy: 'proxy' }, req: 'https://reg.example:5000/', want: 'http://proxy/' },
  { name: 'NO_PROXY is case-insensitive', env: { noProxy: 'Reg.Example', httpsProxy: 'proxy' }, req: 'https://REG.example/', want: undefined },
];
for (const c of forUrl) {
  test(`proxyForUrl: ${c.name}`, () => {
    assert.equal(proxyForUrl(cfg(c.env), new URL(c.req ?? 'http://example.com/'))?.href, c.want);
  });
}

test('proxyForUrl: HTTP_PROXY is refused in a CGI environment (httpoxy)', () => {
  assert.throws(() => proxyForUrl(cfg({ httpProxy: 'http://10.1.2.3:8080', cgi: true }), new URL('http://example.com/')), (e: TugError) => e.code === 'USAGE' && /CGI/.test(e.message));
});

test('proxyForUrl: an unsupported scheme or a bad address is one USAGE line naming the variable, without the password', () => {
  assert.throws(() => proxyForUrl(cfg({ httpsProxy: 'socks5://u:hunter2@127.0.0.1:1080' }), new URL('https://example.com/')), (e: TugError) => e.code === 'USAGE' && /HTTPS_PROXY/.test(e.message) && !e.message.includes('hunter2'));
  assert.throws(() => proxyForUrl(cfg({ httpsProxy: 'http://u:hunter2@proxy:3128/path' }), new URL('https://example.com/')), (e: TugError) => e.code === 'USAGE' && !e.message.includes('hunter2'));
});

// Go's UseProxyTests and its NO_PROXY, each host at port 80 (TestUseProxy, TestAllNoProxy).
const GO_NO_PROXY = 'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64';
const useCases: [host: string, proxied: boolean][] = [
  ['localhost', false],
  ['127.0.0.1', false],
  ['127.0.0.2', false],
  ['[::1]', false],
  ['[::2]', true],
  ['192.168.1.1', false],
  ['192.168.1.2', true],
  ['192.168.1.3', false],
  ['192.168.1.4', true],
  ['10.0.0.2', false],
  ['[2001:db8::52:0:1]', false],
  ['[2001:db8::52:0:2]', true],
  ['[2001:db8::52:0:3]', false],
  ['[2002:db8:a::123]', false],
  ['[fe80::424b:c8be:1643:a1b6]', true],
  ['barbaz.net', true],
  ['www.barbaz.net', false],
  ['foobar.com', false],
  ['www.foobar.com', false],
  ['foofoobar.com', true],
  ['baz.com', true],
  ['localhost.net', true],
  ['local.localhost', true],
  ['barbarbaz.net', true],
  ['wildcard.io', true],
  ['nested.wildcard.io', false],
  ['awildcard.io', true],
];
const goNoProxy = parseNoProxy(GO_NO_PROXY);
const all = parseNoProxy('*');
for (const [host, proxied] of useCases) {
  test(`useProxy ${host}:80: ${proxied}; with NO_PROXY=*: false`, () => {
    assert.equal(useProxy(new URL(`http://${host}:80/`), goNoProxy), proxied);
    assert.equal(useProxy(new URL(`http://${host}:80/`), all), false);
  });
}

test('NO_PROXY: malformed entries are ignored, * matches everything', () => {
  assert.equal(useProxy(new URL('http://example.com/'), parseNoProxy(':1')), true);
  assert.equal(useProxy(new URL('http://example.com/'), parseNoProxy(' , ,')), true);
  assert.equal(useProxy(new URL('http://example.com/'), parseNoProxy('*')), false);
  assert.equal(useProxy(new URL('https://10.0.0.1:5000/'), parseNoProxy('other.example, *')), false);
});

test('proxyEnvironment: upper case wins over lower case, empty values are skipped', () => {
  assert.deepEqual(proxyEnvironment({ HTTP_PROXY: 'upper', http_proxy: 'lower', https_proxy: 'lower-s', NO_PROXY: '', no_proxy: 'np' }), { httpProxy: 'upper', httpsProxy: 'lower-s', noProxy: 'np', cgi: false });
  assert.equal(proxyEnvironment({ REQUEST_METHOD: 'GET' }).cgi, true);
});

test('proxyChooser: none, an explicit URL (loopback too), the environment', () => {
  const env = { HTTPS_PROXY: 'http://env-proxy:3128', NO_PROXY: 'direct.example' };
  const loop = new URL('https://127.0.0.1:5000');
  assert.equal(proxyChooser('none', env)(new URL('https://far.example')), undefined);
  assert.equal(proxyChooser('http://explicit:3128', env)(loop)?.host, 'explicit:3128');
  assert.equal(proxyChooser(undefined, env)(loop), undefined);
  assert.equal(proxyChooser(undefined, env)(new URL('https://far.example'))?.host, 'env-proxy:3128');
  assert.equal(proxyChooser(undefined, env)(new URL('https://direct.example')), undefined);
});

const settings: [text: string, ok: boolean][] = [
  ['none', true],
  ['http://proxy:3128', true],
  ['https://user:pass@proxy.example', true],
  ['proxy:3128', false],
  ['socks5://proxy:1080', false],
  ['ftp://proxy', false],
  ['http://proxy:3128/path', false],
  ['http://', false],
];
for (const [text, ok] of settings) {
  test(`proxy setting ${JSON.stringify(text)}: ${ok ? 'accepted' : 'refused'}`, () => {
    const problem = proxySettingProblem(text);
    assert.equal(problem === undefined, ok, problem);
    if (problem) assert.doesNotMatch(problem, /pass/);
  });
}
