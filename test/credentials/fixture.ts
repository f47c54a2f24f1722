/**
 * A throwaway home for credential tests: HOME, XDG dirs and PATH (with the
 * test credential helper first) in an env object, so no test touches the
 * real user's files.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tempDir } from '../support/tmp.ts';

export const HELPER_DIR = resolve(import.meta.dirname, '../support/cred-helper');

export interface TempHome {
  root: string;
  home: string;
  /** HOME, XDG_CONFIG_HOME unset, PATH = helper dir + node's dir + /usr/bin:/bin. */
  env: NodeJS.ProcessEnv;
  /** Store file of the `tugtest` helper. */
  helperStore: string;
  /** argv log of the `tugtest` helper. */
  argvLog: string;
  /** Writes `content` (JSON-stringified unless a string) at `path` relative to root. */
  write(path: string, content: unknown): string;
  cleanup(): void;
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');

export function tempHome(): TempHome {
  // Removed by cleanup(), or at exit by the helper when a test fails before it.
  const root = tempDir(undefined, 'tug-creds-');
  const home = join(root, 'home');
  mkdirSync(home);
  const helperStore = join(root, 'helper-store.json');
  const argvLog = join(root, 'helper-argv.log');
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    PATH: [HELPER_DIR, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    TUGTEST_STORE: helperStore,
    TUGTEST_ARGV_LOG: argvLog,
  };
  return {
    root,
    home,
    env,
    helperStore,
    argvLog,
    write(path, content) {
      const full = join(root, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
      return full;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
