/**
 * tar-stream's streams are streamx streams, not Node streams: `pipeline`
 * does not know their events, so the archive reader and writer feed them by
 * hand through this.
 */

/** The part of a streamx Writable that hand-feeding needs. */
export interface StreamxWritable {
  write(chunk: Uint8Array): boolean;
  end(): void;
  once(event: 'drain' | 'close', fn: () => void): unknown;
  off(event: 'drain' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  readonly destroyed: boolean;
}

/**
 * Resolves when `sink` can take more data or has closed (destroyed sinks
 * resolve at once). Removes both listeners either way, so a long feed does
 * not pile them up.
 */
export function drainedOrClosed(sink: StreamxWritable): Promise<void> {
  if (sink.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
  });
}
