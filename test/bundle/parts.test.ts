/**
 * The byte-level pieces of a bundle: parts written, rolled back and read
 * across boundaries; ustar headers that GNU tar reads; sizes of
 * --max-part-size; part names bundle.json may hold.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { partNames } from '../../src/bundle/format.ts';
import { parsePartSize } from '../../src/bundle/part-size.ts';
import { PartReader, PartWriter } from '../../src/bundle/parts.ts';
import { BLOCK, TAR_END, padding, parseTarHeader, tarHeader } from '../../src/bundle/tar-format.ts';
import { tempDir } from '../support/tmp.ts';

const ID = '20261205T091500Z-3fa1c2';

test('parts: split at the limit, a rolled-back entry leaves no trace, ranges read across parts', async (t) => {
  const dir = tempDir(t, 'tug-parts-');
  const writer = new PartWriter(dir, ID, 10);
  await writer.write(Buffer.from('abcdefgh'));
  const mark = writer.mark();
  await writer.write(Buffer.from('XXXXXXXXXXXXXXX')); // a torn entry spanning two more parts
  await writer.rollback(mark);
  await writer.write(Buffer.from('ijklmnopqrstuvwxyz'));
  const parts = await writer.finish();
  assert.deepEqual(parts.map((p) => p.name), partNames(ID, 3));
  assert.deepEqual(parts.map((p) => p.size), [10, 10, 6]);
  assert.deepEqual(readdirSync(dir).sort(), partNames(ID, 3));
  const whole = Buffer.concat(parts.map((p) => readFileSync(join(dir, p.name))));
  assert.equal(whole.toString(), 'abcdefghijklmnopqrstuvwxyz');
  for (const p of parts) assert.equal(p.sha256, createHash('sha256').update(readFileSync(join(dir, p.name))).digest('hex'));

  const reader = new PartReader(dir, parts);
  assert.equal((await reader.read(8, 5)).toString(), 'ijklm');
  assert.equal(await text(reader.stream(5, 17)), 'fghijklmnopqrstuv');
  await assert.rejects(reader.read(20, 10), /outside its parts/);
  await reader.close();
});

test('tar headers: GNU tar lists what we write; our reader refuses names a bundle never holds', (t) => {
  const dir = tempDir(t, 'tug-tar-');
  const body = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
  const hex = 'a'.repeat(64);
  const tar = Buffer.concat([tarHeader('oci-layout', 'file', body.length), body, Buffer.alloc(padding(body.length)), tarHeader('blobs/', 'directory'), tarHeader(`blobs/sha256/${hex}`, 'file', 0), TAR_END]);
  writeFileSync(join(dir, 'x.tar'), tar);
  assert.deepEqual(execFileSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).trim().split('\n'), ['oci-layout', 'blobs/', `blobs/sha256/${hex}`]);
  assert.deepEqual(parseTarHeader(tar.subarray(0, BLOCK), () => 'x'), { name: 'oci-layout', type: 'file', size: body.length });
  for (const name of ['../etc/passwd', 'blobs/sha256/../../x', 'blobs/sha512/abc', '/abs']) {
    assert.throws(() => parseTarHeader(tarHeader(name, 'file', 1), () => 'x'), /unexpected tar entry/, name);
  }
  const corrupt = Buffer.from(tarHeader('index.json', 'file', 3));
  corrupt[0] = 0x6a;
  assert.throws(() => parseTarHeader(corrupt, () => 'x'), /checksum/);
  const big = tarHeader(`blobs/sha256/${hex}`, 'file', 9 * 2 ** 30);
  assert.equal(parseTarHeader(big, () => 'x').size, 9 * 2 ** 30);
});

test('--max-part-size: bytes, units and media', () => {
  for (const [input, bytes] of [
    ['4GiB', 4 * 2 ** 30],
    ['4.7GB', 4_700_000_000],
    ['650MiB', 650 * 2 ** 20],
    ['1048576', 2 ** 20],
    ['dvd', 4_700_000_000],
    ['fat32', 2 ** 32 - 1],
    ['cd', 700 * 2 ** 20],
  ] as const) assert.equal(parsePartSize(input), bytes, input);
  for (const bad of ['', '12', 'ten', '5XB', '-1GiB']) assert.throws(() => parsePartSize(bad), /--max-part-size/, bad);
});
