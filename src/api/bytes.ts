/**
 * Byte counts for people, in the two styles Tugboat shows: binary units
 * (`1.5 MiB`), as the CLI and the console print sizes and rates, and
 * Docker's `units.HumanSize` (decimal, three significant digits: `142MB`),
 * the contract's `ManifestInfo.size`. One scaling loop serves both.
 */

/** `n` divided by `base` until it is below `base` (or the units run out), with the unit reached. */
function scale(n: number, base: number, units: readonly string[]): { value: number; unit: string; scaled: boolean } {
  let value = n;
  let i = 0;
  while (value >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  return { value, unit: units[i]!, scaled: i > 0 };
}

/** Binary units, one decimal below 100: `512 B`, `1.5 KiB`, `240 MiB` (whole bytes: a rate of 101.6 B/s is `102 B/s`). */
export function formatBytes(n: number): string {
  const { value, unit, scaled } = scale(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);
  return `${scaled ? value.toFixed(value >= 100 ? 0 : 1) : Math.round(value)} ${unit}`;
}

/** Docker's `units.HumanSize`: decimal units, three significant digits (`142MB`, `4.1kB`). */
export function humanSize(bytes: number): string {
  const { value, unit } = scale(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']);
  return `${Number(value.toPrecision(3))}${unit}`;
}

const UNITS: Readonly<Record<string, number>> = { b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes from `4096`, `650MiB`, `4.7GB`, `2TiB` (decimal and binary units, any case); undefined when it is not one. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
