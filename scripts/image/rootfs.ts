/**
 * The minimal base under the single-file `tug`: what its dynamically
 * linked Node needs and nothing else. The shared libraries it loads (found
 * with `ldd` for the host's architecture, or by walking DT_NEEDED with
 * `readelf` in a cross sysroot such as Debian's libc6-arm64-cross), a
 * passwd/group naming the nonroot user 65532, the CA bundle, nsswitch.conf
 * for name lookups, /tmp, and the data directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LayerEntry } from './layer.ts';

/** An OCI architecture the image may be built for, and where its libraries come from. */
export interface ArchSpec {
  /** OCI `architecture` (GOARCH). */
  oci: 'amd64' | 'arm64';
  /** Debian's multiarch triplet: the library directory inside the image. */
  triplet: string;
  /** Where to find its libraries on this machine: undefined for the host's own (ldd), else a cross sysroot's lib directory. */
  crossLibDir?: string;
}

export const ARCHES: Record<'amd64' | 'arm64', ArchSpec> = {
  amd64: { oci: 'amd64', triplet: 'x86_64-linux-gnu' },
  arm64: { oci: 'arm64', triplet: 'aarch64-linux-gnu', crossLibDir: '/usr/aarch64-linux-gnu/lib' },
};

export const NONROOT_UID = 65532;
/** The data directory (SQLite store, generated key): the image's WorkingDir and the deploy/ PVC's mount point. */
export const DATA_DIR = '/var/lib/tugboat';
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** A library the binary loads: its path inside the image and the file on this machine. */
export interface SharedLib {
  path: string;
  from: string;
}

/** `ldd BINARY` for a binary of the host's architecture: every `=> /path` and the loader's own line. */
export function lddLibs(binary: string): SharedLib[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  if (/not a dynamic executable|statically linked/.test(out)) return [];
  const libs: SharedLib[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push({ path: m[1]!, from: realpathSync(m[1]!) });
    else if (/=>\s+not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  return libs;
}

function readelf(args: string[], file: string): string {
  return execFileSync('readelf', [...args, file], { encoding: 'utf8' });
}

/**
 * The libraries of a binary of another architecture: its program
 * interpreter, then DT_NEEDED entries followed recursively through `libDir`
 * (what ldd does, without running the foreign loader). Inside the image,
 * libraries go to /lib/TRIPLET, the loader to the path the binary names.
 */
export function neededLibs(binary: string, libDir: string, triplet: string): SharedLib[] {
  const interp = /Requesting program interpreter: (\/[^\]\s]+)\]/.exec(readelf(['-l', '-W'], binary))?.[1];
  if (!interp) return [];
  const libs: SharedLib[] = [{ path: interp, from: realpathSync(join(libDir, basename(interp))) }];
  const seen = new Set<string>([basename(interp)]);
  const queue = [binary];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const m of readelf(['-d', '-W'], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
      const name = m[1]!;
      if (seen.has(name)) continue;
      seen.add(name);
      const from = join(libDir, name);
      if (!existsSync(from)) throw new Error(`${binary} needs ${name}, which is not in ${libDir}`);
      libs.push({ path: `/lib/${triplet}/${name}`, from: realpathSync(from) });
      queue.push(from);
    }
  }
  return libs;
}

/** The libraries `binary` (built for `arch`) needs, from the host or the arch's cross sysroot. */
export function sharedLibs(binary: string, arch: ArchSpec): SharedLib[] {
  return arch.crossLibDir ? neededLibs(binary, arch.crossLibDir, arch.triplet) : lddLibs(binary);
}

/** Whether this machine can supply `arch`'s libraries: the host's own (ldd), or an installed cross sysroot and readelf to walk it. */
export function canBuild(arch: ArchSpec): boolean {
  if (arch.crossLibDir === undefined) return process.arch === (arch.oci === 'amd64' ? 'x64' : 'arm64');
  return existsSync(arch.crossLibDir) && spawnSync('readelf', ['--version']).error === undefined;
}

const text = (s: string) => new TextEncoder().encode(s);

/** The base layer's entries for a binary of `arch`: libraries, users, CA bundle, name lookup, /tmp and the data directory. */
export function baseEntries(binary: string, arch: ArchSpec): LayerEntry[] {
  const libs = sharedLibs(binary, arch);
  if (libs.length === 0) throw new Error(`${binary}: no shared libraries found (a static binary needs no base; this builder expects Node's dynamic one)`);
  return [
    ...libs.map((l): LayerEntry => ({ path: l.path.slice(1), type: 'file', mode: 0o755, from: l.from })),
    { path: 'etc/passwd', type: 'file', mode: 0o644, bytes: text(`root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT_UID}:${NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin\n`) },
    { path: 'etc/group', type: 'file', mode: 0o644, bytes: text(`root:x:0:\nnonroot:x:${NONROOT_UID}:\n`) },
    // glibc's default without this file tries DNS before /etc/hosts.
    { path: 'etc/nsswitch.conf', type: 'file', mode: 0o644, bytes: text('passwd: files\ngroup: files\nhosts: files dns\n') },
    { path: CA_BUNDLE.slice(1), type: 'file', mode: 0o644, from: CA_BUNDLE },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'home/nonroot', type: 'directory', mode: 0o755 },
    { path: DATA_DIR.slice(1), type: 'directory', mode: 0o755 },
  ];
}
