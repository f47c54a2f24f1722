/** Runs the real `tug` CLI (bin/tug.js) as a child process, as a user would. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TUG_BIN = fileURLToPath(new URL('../../bin/tug.js', import.meta.url));

const SHEBANG = readFileSync(TUG_BIN, 'utf8').split('\n')[0]!.replace(/^#!\/usr\/bin\/env\s+-S\s+/, '').split(/\s+/).filter(Boolean);
const NODE_AT = SHEBANG.indexOf('node');

/**
 * The environment and Node flags of bin/tug.js's shebang
 * (`#!/usr/bin/env -S VAR=VALUE node FLAGS`), so tests and the benchmark run
 * `env VAR=VALUE node FLAGS bin/tug.js` exactly as the `tug` launcher (scripts/tug-launcher.sh) does.
 */
export const TUG_ENV: string[] = SHEBANG.slice(0, NODE_AT);
export const TUG_NODE_FLAGS: string[] = SHEBANG.slice(NODE_AT + 1);

/** argv to run the CLI: `env` with the shebang's variables, the pinned Node, the shebang's flags, bin/tug.js. */
export const TUG_ARGV: string[] = [...(TUG_ENV.length > 0 ? ['/usr/bin/env', ...TUG_ENV] : []), process.execPath, ...TUG_NODE_FLAGS, TUG_BIN];

export interface TugRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTug(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<TugRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tug ${args.join(' ')} timed out\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
