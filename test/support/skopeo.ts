/** Runs Debian's real skopeo for interoperability checks. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SKOPEO_BIN = '/usr/bin/skopeo';

/** Runs skopeo with --insecure-policy; returns stdout. Rejects with stderr on failure. */
export async function skopeo(args: string[], options: { input?: string } = {}): Promise<string> {
  try {
    const { stdout } = await run(SKOPEO_BIN, ['--insecure-policy', ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
    void options;
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** `skopeo inspect --raw` of an image: the exact manifest bytes. */
export async function rawManifest(image: string, extra: string[] = []): Promise<string> {
  return skopeo(['inspect', '--raw', ...extra, image]);
}
