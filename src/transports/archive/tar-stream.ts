/**
 * tar-stream, loaded on first use: only the archive transports need it, and
 * loading it at start cost every command. CommonJS, so a synchronous require.
 */
import { createRequire } from 'node:module';
import type TarStream from 'tar-stream';

const load = createRequire(import.meta.url);

export function tarStream(): typeof TarStream {
  return load('tar-stream') as typeof TarStream;
}
