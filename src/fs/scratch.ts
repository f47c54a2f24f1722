/**
 * Private scratch directories (archive extraction and staging) under
 * `--tmpdir` or the system's temp directory. Like temp files (temp-files.ts)
 * their names carry the creator's pid and start time, so a run killed with
 * SIGKILL, which cannot remove its own, has its leftovers removed by the next
 * run that makes one there: an archive's worth of disk is not lost per kill.
 */
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from './io.ts';
import { PROCESS_START, pidAlive, sweepOnce } from './temp-files.ts';

const PREFIX = 'tug-scratch-';
/** `tug-scratch-KIND-PID-START-XXXXXX` (mkdtemp's six characters). Kinds hold no digits. */
const NAME = /^tug-scratch-[a-z-]+?-(\d+)-([0-9a-z]+)-[A-Za-z0-9]{6}$/;

/**
 * Whether a scratch directory belongs to a run that is gone: its pid is dead,
 * or it is this pid from an earlier process. Unlike temp files, age alone
 * never makes one stale: a live copy may stream one layer for hours without
 * touching its directory, and a leftover kept by mistake costs only space.
 */
export function isStaleScratch(name: string, run = { processStart: PROCESS_START, pid: process.pid, alive: pidAlive }): boolean {
  const m = NAME.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === run.pid) return m[2] !== run.processStart.toString(36);
  return !run.alive(pid);
}

/** Removes stale scratch directories directly under `base`; never throws. Returns how many went. */
export async function removeStaleScratch(base: string): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX) || !isStaleScratch(name)) continue;
    try {
      // lstat: a symlink with our name (anyone may make one in /tmp) is not ours.
      if (!(await lstat(join(base, name))).isDirectory()) continue;
      await rm(join(base, name), { recursive: true, force: true });
      removed++;
    } catch {
      // not ours to remove, or gone meanwhile
    }
  }
  return removed;
}

/**
 * Creates a private scratch directory (mode 0700, by mkdtemp) under `base`
 * for `kind` (`oci-archive`, `docker-archive`...), after sweeping the stale
 * ones there once per process. Returns it with its removal.
 */
export async function makeScratchDir(base: string, kind: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  await sweepOnce(`scratch:${base}`, () => removeStaleScratch(base));
  let dir: string;
  try {
    dir = await mkdtemp(join(base, `${PREFIX}${kind}-${process.pid}-${PROCESS_START.toString(36)}-`));
  } catch (err) {
    throw ioError('creating a temporary directory in', base, err);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
