import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { padded, prepareHeader, writeHeader } from './encode.js';
import { buildHeader, type EntryMeta, type TarHeader } from './header.js';
import { decodeHeader } from './parse.js';

const NS = 1_000_000_000n;

/** What tar-stream's pack wrote for `header` before its body. */
async function tarStreamHeader(header: TarHeader): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    // tar-stream fills in defaults on the object it is given.
    const copy = { ...header, ...(header.pax ? { pax: { ...header.pax } } : {}) };
    if (header.type === 'file') pack.entry(copy, Buffer.alloc(header.size ?? 0), done);
    else pack.entry(copy, done);
  });
  pack.finalize();
  await collecting;
  const archive = Buffer.concat(chunks);
  return archive.subarray(0, archive.length - padded(header.size ?? 0) - 1024);
}

function encode(header: TarHeader): Buffer {
  const prepared = prepareHeader(header);
  const target = Buffer.alloc(prepared.length + 10, 0xee);
  writeHeader(prepared, target, 5);
  expect(target[4]).toBe(0xee);
  expect(target[prepared.length + 5]).toBe(0xee);
  return target.subarray(5, 5 + prepared.length);
}

const base = { mode: 0o100644, mtimeNs: 1_700_000_000n * NS + 123_456_789n, size: 0 };
const cases: [string, EntryMeta][] = [
  ['a small file', { ...base, name: 'a/b.txt', type: 'file', size: 1234 }],
  ['an empty file', { ...base, name: 'empty', type: 'file' }],
  ['a file of exactly 100 bytes of name', { ...base, name: 'x'.repeat(100), type: 'file', size: 1 }],
  ['a long name', { ...base, name: `${'d'.repeat(80)}/${'f'.repeat(80)}`, type: 'file', size: 600 }],
  ['a unicode name', { ...base, name: 'ünïcødé ☃/🎉.txt', type: 'file', size: 3 }],
  ['a directory', { ...base, mode: 0o40755, name: 'dir', type: 'directory' }],
  ['a directory of mode 0', { ...base, mode: 0o40000, name: 'closed', type: 'directory' }],
  ['a file of mode 0', { ...base, mode: 0o100000, name: 'closed', type: 'file', size: 1 }],
  ['setuid and sticky bits', { ...base, mode: 0o107755, name: 'suid', type: 'file', size: 1 }],
  ['a symlink', { ...base, mode: 0o120777, name: 'l', type: 'symlink', linkname: '../target' }],
  ['a long symlink', { ...base, mode: 0o120777, name: 'l', type: 'symlink', linkname: 't'.repeat(300) }],
  ['a unicode symlink', { ...base, mode: 0o120777, name: 'l', type: 'symlink', linkname: 'ø' }],
  ['a time before 1970', { ...base, mtimeNs: -5n * NS, name: 'old', type: 'file', size: 1 }],
  ['a time after 2038', { ...base, mtimeNs: 2n ** 33n * NS, name: 'new', type: 'file', size: 1 }],
];

describe('writeHeader', () => {
  it.each(cases)('writes what tar-stream wrote for %s', async (_, meta) => {
    for (const precision of ['second', 'nanosecond'] as const) {
      const header = buildHeader(meta, precision);
      expect(encode(header).equals(await tarStreamHeader(header))).toBe(true);
    }
  });

  it('stores sizes of 8 GiB and more in base-256, as GNU tar reads them', () => {
    for (const size of [8 ** 11 - 1, 8 ** 11, 5 * 2 ** 40 + 3]) {
      const header = encode(buildHeader({ ...base, name: 'huge', type: 'file', size }, 'second'));
      expect(decodeHeader(header)).toMatchObject({ name: 'huge', type: 'file', size });
    }
  });
});
