/**
 * The floor under `inspect --raw` (issue 14 item 7: `tug inspect` under
 * 0.1 s): the best any Node 24 tool can do. One GET of the manifest, the
 * bytes written to stdout, nothing else: no flags parsed, no ping, no auth,
 * no digest check. `http` uses node:http, `fetch` the global fetch (undici
 * inside Node, loaded on first use: what a tool on fetch pays). Not a tool:
 * a yardstick scenario g runs beside `tug inspect --raw` and skopeo's, so the
 * report shows what Node's own start-up leaves of the 0.1 s.
 *
 *   node bench/floor-inspect.ts http|fetch HOST REPOSITORY REFERENCE
 *
 * Exits 1 when the registry does not answer 200.
 */
// verify.ts's MANIFEST_ACCEPT, written out: importing verify.ts would load
// src/oci/ too, start-up the floor must not pay.
const MANIFEST_ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';

const [how, host, repo, reference] = process.argv.slice(2);
if ((how !== 'http' && how !== 'fetch') || !host || !repo || !reference) {
  process.stderr.write('usage: node bench/floor-inspect.ts http|fetch HOST REPOSITORY REFERENCE\n');
  process.exit(2);
}
const url = `http://${host}/v2/${repo}/manifests/${reference}`;

async function viaHttp(): Promise<{ status: number; body: Buffer }> {
  // process.getBuiltinModule, not `import 'node:http'`: in Node 24 the ESM
  // facade of node:http reads every export, and its lazy WebSocket getters
  // load Node's own copy of undici (~50 ms of CPU measured with --cpu-prof).
  const { get } = process.getBuiltinModule('node:http');
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept: MANIFEST_ACCEPT } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function viaFetch(): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { headers: { accept: MANIFEST_ACCEPT } });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

const { status, body } = await (how === 'http' ? viaHttp() : viaFetch());
if (status !== 200) {
  process.stderr.write(`floor-inspect: ${url} answered HTTP ${status}\n`);
  process.exit(1);
}
process.stdout.write(body);
