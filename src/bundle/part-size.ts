/**
 * `--max-part-size`: bytes, a size with a unit (`650MiB`, `4.7GB`, `4GiB`),
 * or a medium's name. Pure.
 */
import { TugError } from '../errors/index.ts';

/** Media by name: what one part must fit on. */
export const PART_PRESETS: Readonly<Record<string, number>> = {
  /** A single-layer DVD: 4.7 GB (decimal, as sold). */
  dvd: 4_700_000_000,
  /** FAT32's largest file: 4 GiB - 1 byte. */
  fat32: 2 ** 32 - 1,
  /** A 700 MiB CD. */
  cd: 700 * 2 ** 20,
};

/** Decimal and binary units (the server's api/bytes.ts reads sizes the same way; bundle/ sits below api/ and cannot import it). */
const UNITS: Readonly<Record<string, number>> = { b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
/** A part holds at least one tar header and some data; smaller is a typo. */
export const MIN_PART_SIZE = 4096;

export function parsePartSize(text: string): number {
  const preset = PART_PRESETS[text.toLowerCase()];
  if (preset !== undefined) return preset;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_PART_SIZE) {
    throw new TugError('USAGE', `--max-part-size ${JSON.stringify(text)} is not a size of at least ${MIN_PART_SIZE} bytes`, { hint: `give bytes, a size such as 650MiB, 4.7GB, 4GiB, or one of ${Object.keys(PART_PRESETS).join(', ')}` });
  }
  return bytes;
}
