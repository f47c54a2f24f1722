/**
 * The tar of a bundle, at the byte level: ustar headers written and read by
 * hand, because apply reads blobs as byte ranges of the parts (no
 * extraction), so every entry's offset must be known exactly. The reader
 * accepts only the names a bundle holds (`oci-layout`, `index.json`,
 * `bundle.json`, `blobs/`, `blobs/sha256/`, `blobs/sha256/<hex>`) and plain
 * files and directories: a stricter rule than archive/safe-tar-reader.ts,
 * which must read what docker and skopeo write. POSIX.1-1988 ustar (pax
 * `tar` reads it); sizes of 8 GiB and more use the GNU base-256 form.
 */
import { TugError } from '../errors/index.ts';

export const BLOCK = 512;
/** Two zero blocks end the archive. */
export const TAR_END = new Uint8Array(2 * BLOCK);

/** Bytes of padding after a body of `size` bytes. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length - 1, value.toString(8).padStart(length - 1, '0'));
}

/** A ustar header for a regular file (`file`) or a directory, mode 0644/0755, uid 0, mtime 0: reproducible. */
export function tarHeader(name: string, type: 'file' | 'directory', size = 0): Buffer {
  if (Buffer.byteLength(name) > 100) throw new TugError('INTERNAL', `tar entry name too long: ${name}`);
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, type === 'directory' ? 0o755 : 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  if (size < 8 ** 11) writeOctal(block, 124, 12, size);
  else {
    // GNU base-256: high bit set, then the size big-endian.
    block[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) {
      block[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  writeOctal(block, 136, 12, 0);
  block.fill(0x20, 148, 156); // the checksum field counts as spaces while summing
  block[156] = type === 'directory' ? 0x35 : 0x30;
  writeString(block, 257, 6, 'ustar');
  writeString(block, 263, 2, '00');
  let sum = 0;
  for (const b of block) sum += b;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

export interface TarEntry {
  name: string;
  type: 'file' | 'directory';
  size: number;
}

const ALLOWED = /^(?:oci-layout|index\.json|bundle\.json|blobs\/|blobs\/sha256\/|blobs\/sha256\/[a-f0-9]{64})$/;

function readString(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return Buffer.from(end < 0 ? slice : slice.subarray(0, end)).toString('utf8');
}

function readSize(block: Uint8Array, where: () => string): number {
  if (block[124]! & 0x80) {
    let v = 0n;
    for (let i = 125; i < 136; i++) v = (v << 8n) | BigInt(block[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw refuse(where(), 'entry size out of range');
    return Number(v);
  }
  const text = readString(block, 124, 12).trim();
  if (!/^[0-7]{1,11}$/.test(text)) throw refuse(where(), 'bad size field');
  return Number.parseInt(text, 8);
}

function refuse(where: string, problem: string): TugError {
  return new TugError('UNSAFE_INPUT', `${where}: ${problem}`, { hint: 're-copy the part from the source medium; if it persists the bundle is damaged or hostile, re-create it' });
}

/** True for a zero block (the end of the archive). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/**
 * Reads one header block. `where` names the position for messages
 * (`part X at offset N`). Refuses bad checksums, other entry types (links,
 * devices, pax/GNU extensions) and any name a bundle does not hold.
 */
export function parseTarHeader(block: Uint8Array, where: () => string): TarEntry {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  const stored = readString(block, 148, 8).trim();
  if (!/^[0-7]{1,7}$/.test(stored) || Number.parseInt(stored, 8) !== sum) throw refuse(where(), 'tar header checksum mismatch');
  const flag = block[156]!;
  const type = flag === 0x30 || flag === 0 ? 'file' : flag === 0x35 ? 'directory' : undefined;
  if (!type) throw refuse(where(), `tar entry type ${JSON.stringify(String.fromCharCode(flag))} is not a file or directory`);
  const prefix = readString(block, 345, 155);
  const base = readString(block, 0, 100);
  const name = prefix ? `${prefix}/${base}` : base;
  if (!ALLOWED.test(name)) throw refuse(where(), `unexpected tar entry ${JSON.stringify(name.slice(0, 120))}`);
  if ((type === 'directory') !== name.endsWith('/')) throw refuse(where(), `tar entry ${name} has the wrong type`);
  return { name, type, size: type === 'file' ? readSize(block, where) : 0 };
}
