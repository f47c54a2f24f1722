/**
 * `tug sync --src dir SOURCE`: the `dir:` images under a directory, found as
 * skopeo sync's dir source finds them (skopeo-sync(1), `imagesToCopyFromDir`).
 * Every directory holding a `manifest.json` is one image and is not descended
 * into; its path below SOURCE names it. `busybox:latest` is repository
 * `busybox`, tag `latest`; `registry.example.com/library/busybox:latest` (a
 * `--scoped` tree) is repository `registry.example.com/library/busybox`. A
 * name without `:TAG` means `latest`; `NAME@DIGEST` (what `tug sync --dest
 * dir` writes for a digest) pins the digest. When SOURCE itself holds a
 * `manifest.json`, it is the one image and its own name names it, as in skopeo.
 *
 * Unlike skopeo (Go's `filepath.WalkDir`), a symbolic link to a directory
 * inside SOURCE is followed, so `busybox:latest -> busybox:1.36` syncs both
 * tags. A link that leads out of SOURCE is skipped (the tree is what is
 * synced, as the dir: transport refuses files linked out of an image), and
 * so is a link back to a directory being walked (a loop).
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { TugError } from '../errors/index.ts';
import type { SyncSpec } from './spec.ts';

const MANIFEST = 'manifest.json';
const HINT = 'give the directory that `tug sync --dest dir` or `skopeo sync --dest dir` wrote: one subdirectory per image, such as busybox:latest/manifest.json';

/** One image found under the source directory. */
export interface DirImage {
  /** The image directory: SOURCE joined with `relative` (relative when SOURCE was). */
  path: string;
  /** Its path below SOURCE, `/`-separated; SOURCE's own name when SOURCE is the image. */
  relative: string;
}

const identity = (st: Stats) => `${st.dev}:${st.ino}`;

function fsError(action: string, path: string, err: unknown): TugError {
  const code = (err as NodeJS.ErrnoException).code;
  return new TugError('IO', `--src dir: ${action} ${path}: ${(err as Error).message}`, {
    cause: err,
    ...(code === 'EACCES' || code === 'EPERM' ? { hint: 'check the permissions of the directory' } : {}),
  });
}

/**
 * Every image directory under `root`, sorted by path. Throws USAGE when
 * `root` is missing or not a directory; IO when a directory cannot be read.
 * An empty result is not an error here (see {@link specFromDirectory}).
 */
export async function findDirImages(root: string): Promise<DirImage[]> {
  let st: Stats;
  try {
    st = await stat(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('USAGE', `--src dir: "${root}" does not exist`, { hint: HINT });
    throw fsError('reading', root, err);
  }
  if (!st.isDirectory()) throw new TugError('USAGE', `--src dir: "${root}" is not a directory`, { hint: HINT });
  const found: DirImage[] = [];
  const realRoot = await realpath(root).catch((err: unknown) => {
    throw fsError('reading', root, err);
  });
  await walk({ realRoot, found }, root, [], new Set([identity(st)]));
  return found;
}

interface Walk {
  realRoot: string;
  found: DirImage[];
}

/** True when a symbolic link at `path` resolves to somewhere under `realRoot`. */
async function linksWithin(path: string, realRoot: string): Promise<boolean> {
  const rel = relative(realRoot, await realpath(path));
  return !rel.startsWith('..') && !isAbsolute(rel);
}

/** `ancestors`: identities of the directories from the root down to `dir`, to tell a loop. */
async function walk(w: Walk, dir: string, parts: string[], ancestors: ReadonlySet<string>): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw fsError('reading', dir, err);
  }
  // As skopeo: any non-directory named manifest.json (a file, or a link to one) makes an image.
  if (entries.some((e) => e.name === MANIFEST && !e.isDirectory())) {
    w.found.push({ path: dir, relative: parts.length > 0 ? parts.join('/') : basename(resolve(dir)) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const path = join(dir, entry.name);
    let st: Stats;
    try {
      st = await stat(path);
      if (entry.isSymbolicLink() && !(st.isDirectory() && (await linksWithin(path, w.realRoot)))) continue;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (entry.isSymbolicLink() && (code === 'ENOENT' || code === 'ELOOP')) continue; // a dangling or self-referential link
      throw fsError('reading', path, err);
    }
    if (!st.isDirectory() || ancestors.has(identity(st))) continue;
    await walk(w, path, [...parts, entry.name], new Set([...ancestors, identity(st)]));
  }
}

/**
 * The repository and tag (or digest) an image directory's relative path
 * stands for: `a/b:1` is `a/b` and `1`, `a/b@sha256:...` is `a/b` and the
 * digest, `a/b` is `a/b` and `latest` (what Docker's normalisation gives a
 * name without tag). Only the last component can carry the tag: a `:` before
 * it is a registry port (`127.0.0.1:5000/edge/yurthub:v1`).
 */
export function dirImageName(relative: string): { repository: string; tag: string } {
  const slash = relative.lastIndexOf('/');
  const base = relative.slice(slash + 1);
  const at = base.indexOf('@');
  const colon = base.lastIndexOf(':');
  const [name, tag] = at >= 0 ? [base.slice(0, at), base.slice(at + 1)] : colon >= 0 ? [base.slice(0, colon), base.slice(colon + 1)] : [base, 'latest'];
  return { repository: relative.slice(0, slash + 1) + name, tag };
}

/**
 * The job of `tug sync --src dir ROOT`: one source per image directory, with
 * its `dir:` name. Throws USAGE naming ROOT when it is not a directory or
 * holds no image.
 */
export async function specFromDirectory(root: string): Promise<SyncSpec> {
  const images = await findDirImages(root);
  if (images.length === 0) throw new TugError('USAGE', `--src dir: no images in "${root}": no directory below it holds a ${MANIFEST}`, { hint: HINT });
  return {
    files: [root],
    format: 'dir',
    sources: images.map((image) => {
      const { repository, tag } = dirImageName(image.relative);
      return { repository, image: `dir:${image.path}`, filter: { tags: [tag] }, origin: { file: '<command line>', line: 1 } };
    }),
    mappings: [],
    registries: {},
  };
}
