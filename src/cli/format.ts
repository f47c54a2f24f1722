/**
 * Human formatting for CLI output. Sizes and durations are formatted by
 * src/api (`formatBytes`, `formatDuration`), the same as in the console;
 * the CLI adds rates and its own preset for elapsed times.
 */
import { formatBytes } from '../api/bytes.ts';
import { formatDuration } from '../api/duration.ts';

export { formatBytes };

export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '-';
  return `${formatBytes((bytes * 1000) / ms)}/s`;
}

/** An elapsed time or a wait, with tenths below a minute: `450ms`, `1.5s`, `2m3s`. */
export function formatElapsed(ms: number): string {
  return formatDuration(ms, { tenths: true });
}
