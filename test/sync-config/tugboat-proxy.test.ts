/** A Tugboat sync file's per-registry `proxy`: what is read, and what is refused by line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTugboatFile } from '../../src/sync/config/index.ts';
import { expectIssue } from './support.ts';

const file = 'sync.yaml';
const text = (proxy: string) =>
  ['apiVersion: tugboat.dev/v1alpha1', 'kind: SyncConfig', 'registries:', '  registry.example.com:', `    proxy: ${proxy}`, 'images:', '  - source: registry.example.com/app', '    tags: [v1]', ''].join('\n');

const accepted = ['http://proxy.example.com:3128', 'https://proxy.example.com', 'http://[fd00::1]:3128', 'none'];
for (const proxy of accepted) {
  test(`proxy ${proxy} is read into the registry's access settings`, () => {
    const spec = readTugboatFile({ file, text: text(proxy) });
    assert.deepEqual(spec.registries['registry.example.com'], { proxy });
  });
}

const refused: [proxy: string, pattern: RegExp][] = [
  ['http://robot:hunter2@proxy.example.com:3128', /must not carry user:password.*HTTPS_PROXY/],
  ['socks5://proxy.example.com:1080', /scheme socks5 is not supported/],
  ['proxy.example.com:3128', /scheme proxy\.example\.com is not supported|not a URL/],
  ['http://proxy.example.com:3128/path', /only a scheme, a host and a port/],
];
for (const [proxy, pattern] of refused) {
  test(`proxy ${proxy.replace(/:[^:@/]*@/, ':***@')} is refused at its line, without the password`, () => {
    const err = expectIssue(() => readTugboatFile({ file, text: text(proxy) }), file, 5, pattern);
    assert.doesNotMatch(err.message, /hunter2/);
  });
}
