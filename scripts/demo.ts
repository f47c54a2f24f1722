/**
 * `npm run demo`: the main job on this machine, end to end, with real
 * counterparts. Starts two stock registries on loopback, pushes a generated
 * two-platform image (the shape of openyurt/yurthub:v1.6.0) into the first,
 * then with the real `tug` CLI: copies it with every platform to the second
 * registry, into an OCI layout and back, and checks with skopeo that every
 * digest is identical. Stops everything it started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiArch, pushImage } from '../test/support/images.ts';
import { startRegistry } from '../test/support/registry.ts';
import { rawManifest } from '../test/support/skopeo.ts';
import { runTug } from '../test/support/tug.ts';

const say = (s: string) => process.stdout.write(`${s}\n`);
const work = mkdtempSync(join(tmpdir(), 'tug-demo-'));
const a = await startRegistry();
const b = await startRegistry();
let failed = false;
try {
  say(`registries: ${a.host} (source), ${b.host} (mirror)`);
  const image = await multiArch('openyurt-yurthub-v1.6.0', 'oci');
  await pushImage({ url: a.url, repository: 'openyurt/yurthub', tag: 'v1.6.0' }, image);
  say(`pushed openyurt/yurthub:v1.6.0 (${image.manifests.length} platforms, index ${image.top.digest})`);

  const steps: [string, string[]][] = [
    ['registry -> registry, every platform', ['copy', '--all', `docker://${a.host}/openyurt/yurthub:v1.6.0`, `docker://${b.host}/edge/yurthub:v1.6.0`]],
    ['the latest alias (blobs are skipped)', ['copy', '--all', `docker://${a.host}/openyurt/yurthub:v1.6.0`, `docker://${b.host}/edge/yurthub:latest`]],
    ['registry -> OCI layout', ['copy', '--all', `docker://${b.host}/edge/yurthub:v1.6.0`, `oci:${work}/layout:yurthub-v1.6.0`]],
    ['OCI layout -> registry', ['copy', '--all', `oci:${work}/layout:yurthub-v1.6.0`, `docker://${b.host}/offline/yurthub:v1.6.0`]],
  ];
  for (const [title, args] of steps) {
    say(`\n$ tug ${args.join(' ')}   # ${title}`);
    const run = await runTug(args);
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    if (run.code !== 0) throw new Error(`tug exited ${run.code}`);
  }
  say('\nchecking digests with skopeo inspect --raw:');
  for (const name of [`docker://${b.host}/edge/yurthub:v1.6.0`, `docker://${b.host}/edge/yurthub:latest`, `oci:${work}/layout:yurthub-v1.6.0`, `docker://${b.host}/offline/yurthub:v1.6.0`]) {
    const raw = await rawManifest(name, name.startsWith('docker://') ? ['--tls-verify=false'] : []);
    const { createHash } = await import('node:crypto');
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    const same = digest === image.top.digest;
    failed ||= !same;
    say(`  ${same ? 'ok  ' : 'DIFF'} ${name} ${digest}`);
  }
  const tags = await runTug(['list-tags', `docker://${b.host}/edge/yurthub`]);
  say(`\n$ tug list-tags docker://${b.host}/edge/yurthub\n${tags.stdout}`);
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
} finally {
  await a.stop();
  await b.stop();
  rmSync(work, { recursive: true, force: true });
}
say(failed ? 'demo: FAILED' : 'demo: every digest identical to the source');
process.exitCode = failed ? 1 : 0;
