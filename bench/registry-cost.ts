/**
 * `npm run bench:registry`: what one request of each kind costs a stock
 * `docker-registry` in CPU, the floor under every registry-to-registry sync
 * (a cold sync is CPU-bound on a small machine, and most of that CPU is the
 * registries'). Starts one registry on loopback, sends N requests of each
 * kind over keep-alive connections, 8 at a time, and reads the registry's
 * CPU from /proc before and after each kind.
 *
 * Environment: REGISTRY_COST_N (default 300 requests per kind),
 * REGISTRY_COST_SIZE (bytes per blob, default 1024; try 1048576 for the per-MB cost).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { startRegistry } from '../test/support/registry.ts';
import { registriesCpu } from './measure.ts';

const n = Number(process.env.REGISTRY_COST_N ?? 300);
const size = Number(process.env.REGISTRY_COST_SIZE ?? 1024);
const reg = await startRegistry();
// reset: false keeps connections open after HEADs, as tug's client does.
const agent = new Agent({ connections: 8 });
try {
  const send = async (method: 'GET' | 'HEAD' | 'POST' | 'PUT', path: string, body?: Buffer) => {
    const res = await request(new URL(path, reg.url), { method, body, dispatcher: agent, reset: false, headers: body ? { 'content-type': 'application/octet-stream' } : {} });
    await res.body.dump();
    return res;
  };
  const blobs = Array.from({ length: n }, () => {
    const bytes = randomBytes(size);
    return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  });
  const rows: string[] = [];
  const kind = async (name: string, each: (i: number) => Promise<unknown>) => {
    const before = registriesCpu();
    const started = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < n) await each(next++);
    }));
    const cpu = registriesCpu() - before;
    rows.push(`| ${name} | ${n} | ${cpu.toFixed(2)} | ${((cpu / n) * 1000).toFixed(2)} | ${Date.now() - started} |`);
  };
  await kind(`upload (POST + PUT), ${size} B`, async (i) => {
    const started = await send('POST', '/v2/cost/a/blobs/uploads/');
    const url = new URL(String(started.headers.location), reg.url);
    url.searchParams.set('digest', blobs[i]!.digest);
    await send('PUT', url.toString(), blobs[i]!.bytes);
  });
  // tug's check before a write, once the registry has honoured a mount: one
  // POST that answers 201 (present) or opens the upload (202), instead of a HEAD and then a POST.
  await kind(`upload after a probe (POST ?mount=&from=itself answered 202, + PUT), ${size} B`, async (i) => {
    const started = await send('POST', `/v2/cost/p/blobs/uploads/?mount=${blobs[i]!.digest}&from=cost/p`);
    if (started.statusCode !== 202) throw new Error(`probe of an absent blob: HTTP ${started.statusCode}, expected 202`);
    const url = new URL(String(started.headers.location), reg.url);
    url.searchParams.set('digest', blobs[i]!.digest);
    await send('PUT', url.toString(), blobs[i]!.bytes);
  });
  await kind('blob HEAD, present', (i) => send('HEAD', `/v2/cost/a/blobs/${blobs[i]!.digest}`));
  await kind('blob probe (POST ?mount=&from=itself), present', (i) => send('POST', `/v2/cost/p/blobs/uploads/?mount=${blobs[i]!.digest}&from=cost/p`));
  await kind('blob HEAD, absent', (i) => send('HEAD', `/v2/cost/b/blobs/${blobs[i]!.digest}`));
  await kind('cross-repository mount', (i) => send('POST', `/v2/cost/c/blobs/uploads/?mount=${blobs[i]!.digest}&from=cost/a`));
  await kind(`blob GET, ${size} B`, (i) => send('GET', `/v2/cost/a/blobs/${blobs[i]!.digest}`));
  await kind('GET /v2/ (ping)', () => send('GET', '/v2/'));
  process.stdout.write(`| Request | N | Registry CPU s | ms each | wall ms |\n| --- | ---: | ---: | ---: | ---: |\n${rows.join('\n')}\n`);
} finally {
  await agent.close();
  await reg.stop();
}
