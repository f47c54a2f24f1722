/**
 * `npm run image`: the `tug` container image, built without Docker from the
 * single-file executables of `npm run dist` (dist/sea/tug-linux-ARCH) and a
 * minimal base, into the OCI layout dist/image (ref tugboat/tug:VERSION).
 * Both architectures go into one index when both binaries exist and this
 * machine has the arm64 cross libraries (libc6-arm64-cross).
 *
 *   npm run image [-- --out DIR] [--binary-amd64 FILE] [--binary-arm64 FILE] [--level N]
 *
 * The layout is built next to DIR and renamed into place, so DIR holds the
 * new image or the old one, never a mix, and no blobs of earlier builds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { buildImage } from './image/build.ts';
import { imageName, projectVersion } from './image/image-name.ts';
import { ARCHES, canBuild } from './image/rootfs.ts';

/** One line naming the problem and the fix, no stack: the script's only way out on bad input. */
function fail(message: string): never {
  process.stderr.write(`image: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist/image' },
    'binary-amd64': { type: 'string' },
    'binary-arm64': { type: 'string' },
    level: { type: 'string', default: '9' },
  },
});

function gitRevision(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const binaries: Partial<Record<keyof typeof ARCHES, string>> = {};
const notes: string[] = [];
for (const arch of Object.keys(ARCHES) as (keyof typeof ARCHES)[]) {
  const given = values[`binary-${arch}`];
  const file = given ?? `dist/sea/tug-linux-${arch}`;
  if (!existsSync(file)) {
    if (given) fail(`--binary-${arch} ${given}: no such file`);
    notes.push(`${arch}: skipped, ${file} does not exist (npm run dist builds it)`);
  } else if (!canBuild(ARCHES[arch])) {
    notes.push(`${arch}: skipped, no ${arch} shared libraries on this machine (${ARCHES[arch].crossLibDir ?? 'build on an amd64 host'}; apt-get install libc6-arm64-cross libstdc++6-arm64-cross binutils)`);
  } else {
    binaries[arch] = file;
  }
}
if (Object.keys(binaries).length === 0) fail(`nothing to build:\n  ${notes.join('\n  ')}`);
const level = Number(values.level);
if (!Number.isInteger(level) || level < 1 || level > 9) fail(`--level ${values.level}: expected a gzip level, 1 to 9`);

const out = values.out;
const building = `${out}.tug-tmp-${process.pid}`;
const ref = imageName();
await rm(building, { recursive: true, force: true });
const started = performance.now();
const built = await buildImage({ layout: building, ref, binaries, version: projectVersion(), revision: gitRevision(), level }).catch(async (err: unknown) => {
  await rm(building, { recursive: true, force: true });
  return fail(err instanceof Error ? err.message : String(err));
});
// Two renames: the old layout is out of the way only for the instant between them.
const old = `${out}.tug-old-${process.pid}`;
const hadOld = existsSync(out);
if (hadOld) await rename(out, old);
await rename(building, out);
if (hadOld) await rm(old, { recursive: true, force: true });
for (const n of notes) process.stderr.write(`image: ${n}\n`);
for (const i of built.images) {
  const size = i.layers.reduce((s, l) => s + l.size, 0);
  process.stdout.write(`linux/${i.arch}  ${i.manifest.digest}  ${(size / 1048576).toFixed(1)} MiB compressed\n`);
}
process.stdout.write(`oci:${out}:${ref}  ${built.index.digest}  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
