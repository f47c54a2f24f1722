/**
 * `--max-part-size`: bytes, a size with a unit (`650MiB`, `4.7GB`, `4GiB`),
 * or a medium's name. Pure.
 */
import { parseByteSize } from '../api/bytes.ts';
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

/** A part holds at least one tar header and some data; smaller is a typo. */
export const MIN_PART_SIZE = 4096;

export function parsePartSize(text: string): number {
  const preset = PART_PRESETS[text.toLowerCase()];
  if (preset !== undefined) return preset;
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < MIN_PART_SIZE) {
    throw new TugError('USAGE', `--max-part-size ${JSON.stringify(text)} is not a size of at least ${MIN_PART_SIZE} bytes`, { hint: `give bytes, a size such as 650MiB, 4.7GB, 4GiB, or one of ${Object.keys(PART_PRESETS).join(', ')}` });
  }
  return bytes;
}
