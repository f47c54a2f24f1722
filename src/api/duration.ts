/**
 * Go durations (`time.ParseDuration`), the syntax Kubernetes users write for
 * intervals: `30m`, `1h30m`, `24h`, `1.5h`, `500ms`. A sequence of decimal
 * numbers, each with a unit (ns, us, µs, ms, s, m, h); no sign (negative
 * intervals make no sense here), no days. `0` alone is accepted, as in Go.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds in `text`, or undefined when it is not a Go duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0 || text.length > 64) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Number.isFinite(total) ? total : undefined;
}

export interface FormatDurationOptions {
  /** Keep tenths of a second below a minute (`1.5s`), for elapsed times and waits; default false (whole seconds). */
  tenths?: boolean | undefined;
}

/**
 * Formats milliseconds the way Go prints a duration, trimmed of zero parts:
 * `1h30m`, `45s`, `250ms`; with `tenths`, `1.5s`. The one duration formatter
 * of the CLI, the server and the console.
 */
export function formatDuration(ms: number, options: FormatDurationOptions = {}): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (options.tenths && ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
