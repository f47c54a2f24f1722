/**
 * The real `tug serve` as a child process, as an operator starts it. It
 * listens on a port the kernel picks (`--listen 127.0.0.1:0`) and the test
 * reads the address from the server's own "listening on URL" line: no port
 * is chosen first and bound later (another process could take it between
 * the two), and readiness is that line, not a polling loop. Every server
 * started here is killed when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { TUG_ARGV } from './tug.ts';

export interface ServeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT` or `https://...`, as the server printed it. */
  url: string;
  port: number;
  /** The exit code (null after a signal), once the process has exited. */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs `tug serve ARGS` (`--listen 127.0.0.1:0` is added unless ARGS has a
 * `--listen`) and resolves once it says it is listening; rejects with its
 * stderr if it exits first or says nothing within `timeoutMs` (default 30 s).
 */
export function spawnServe(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const listen = args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
  const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'serve', ...listen, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise<ServeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tug serve did not say it was listening within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tug serve exited (${code}) before listening:\n${stderr}`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1]!;
      resolve({
        child,
        url,
        port: Number(new URL(url).port),
        exited,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}
