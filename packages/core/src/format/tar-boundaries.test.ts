import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { pack as tarPack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { Chunker } from './chunker.js';
import { parseOctal, TarBoundaries } from './tar-boundaries.js';

/** Deterministic bytes per file name, so an unchanged file is byte-identical across builds. */
function contentOf(name: string, size: number): Buffer {
  const key = createHash('sha256').update(name).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A tar built by tar-stream, with the offset of each entry's first header. */
async function makeTar(
  files: { name: string; size: number; body?: Buffer }[],
): Promise<{ tar: Buffer; starts: Map<string, number> }> {
  const p = tarPack();
  const parts: Buffer[] = [];
  p.on('data', (d) => parts.push(d as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  const starts = new Map<string, number>();
  for (const file of files) {
    starts.set(
      file.name,
      parts.reduce((n, b) => n + b.length, 0),
    );
    await new Promise<void>((resolve, reject) =>
      p.entry(
        { name: file.name, size: file.size, mtime: new Date(0) },
        file.body ?? contentOf(file.name, file.size),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    await new Promise((r) => setImmediate(r));
  }
  p.finalize();
  await done;
  return { tar: Buffer.concat(parts), starts };
}

const LARGE = { minFileBytes: 1024 * 1024, minSize: 65_536, avgSize: 262_144, maxSize: 1024 * 1024 };

function chunk(tar: Buffer, pieces: number, fileAlignBytes: number, largeFiles?: typeof LARGE): Buffer[] {
  const chunker = new Chunker({
    minSize: 4096,
    avgSize: 16384,
    maxSize: 65536,
    fileAlignBytes,
    ...(largeFiles ? { largeFiles } : {}),
  });
  const out: Buffer[] = [];
  const step = Math.ceil(tar.length / pieces);
  for (let i = 0; i < tar.length; i += step) out.push(...chunker.push(tar.subarray(i, i + step)));
  out.push(...chunker.flush());
  return out;
}

describe('tar-aligned chunking', () => {
  const files = Array.from({ length: 60 }, (_, i) => ({
    // Long unicode names force pax extension headers in front of some entries.
    name: i % 7 === 0 ? `dir/${'ü'.repeat(80)}-${i}.o` : `dir/f${i}.o`,
    size: i % 3 === 0 ? 500 : 9000 + i * 311,
  }));

  it('starts every file of at least the threshold at a chunk boundary, whatever the input split', async () => {
    const { tar, starts } = await makeTar(files);
    for (const pieces of [1, 7, 1000]) {
      const chunks = chunk(tar, pieces, 8192);
      expect(Buffer.concat(chunks).equals(tar)).toBe(true);
      const boundaries = new Set<number>();
      let at = 0;
      for (const c of chunks) {
        at += c.length;
        boundaries.add(at);
      }
      for (const file of files.slice(1)) {
        const start = starts.get(file.name) as number;
        expect(boundaries.has(start)).toBe(file.size >= 8192);
      }
    }
  });

  it('re-writes only the chunks of the changed file', async () => {
    const before = await makeTar(files);
    const changed = files.map((f, i) => (i === 31 ? { ...f, size: f.size + 100 } : f));
    const after = await makeTar(changed);
    for (const fileAlignBytes of [0, 8192]) {
      const known = new Set(chunk(before.tar, 3, fileAlignBytes).map((c) => c.toString('base64')));
      const fresh = chunk(after.tar, 3, fileAlignBytes).filter((c) => !known.has(c.toString('base64')));
      const freshBytes = fresh.reduce((n, c) => n + c.length, 0);
      const fileBytes = 512 + (changed[31]?.size ?? 0);
      // Aligned: the changed file's own chunks, plus at most the small files sharing its last chunk.
      if (fileAlignBytes > 0) expect(freshBytes).toBeLessThan(fileBytes + 2 * 1024 + 512);
      else expect(freshBytes).toBeGreaterThan(fileBytes);
    }
  });

  it('cuts large files into large chunks, and an edit inside one re-writes a few of them', async () => {
    const big = contentOf('big', 6 * 1024 * 1024 + 123);
    const withBig = (body: Buffer) => [
      ...files.slice(0, 30),
      { name: 'dir/big.bin', size: body.length, body },
      ...files.slice(30),
    ];
    const before = await makeTar(withBig(big));
    const edited = Buffer.from(big);
    edited.fill(7, 3_000_000, 3_000_100);
    const after = await makeTar(withBig(edited));
    const start = before.starts.get('dir/big.bin') as number;
    const end = start + 512 + big.length;
    const whole = chunk(before.tar, 1, 8192, LARGE);
    for (const pieces of [7, 1000]) {
      expect(chunk(before.tar, pieces, 8192, LARGE).map((c) => c.length)).toEqual(whole.map((c) => c.length));
    }
    let at = 0;
    const inBig: number[] = [];
    const small: number[] = [];
    for (const c of whole) {
      if (at >= start && at < end) inBig.push(c.length);
      else small.push(c.length);
      at += c.length;
    }
    // Only the file's last chunk may be short (the next file starts a chunk of its own).
    expect(inBig.slice(0, -1).every((n) => n >= LARGE.minSize)).toBe(true);
    expect(inBig.length).toBeLessThan(big.length / LARGE.minSize);
    expect(Math.max(...small)).toBeLessThanOrEqual(65_536);
    // The rest of the archive is chunked exactly as without the large-file sizes.
    const plain = chunk(before.tar, 1, 8192);
    expect(small.length).toBe(
      plain.filter((_, i) => {
        const offset = plain.slice(0, i).reduce((n, c) => n + c.length, 0);
        return offset < start || offset >= end;
      }).length,
    );

    const known = new Set(whole.map((c) => c.toString('base64')));
    const fresh = chunk(after.tar, 3, 8192, LARGE).filter((c) => !known.has(c.toString('base64')));
    const freshBytes = fresh.reduce((n, c) => n + c.length, 0);
    expect(freshBytes).toBeGreaterThan(0);
    expect(freshBytes).toBeLessThanOrEqual(2 * LARGE.maxSize);
  });

  it('reports nothing for a stream that is not a tar', () => {
    const t = new TarBoundaries(1);
    t.push(randomBytes(4096));
    expect(t.nextCut(0, 1e9)).toBeUndefined();
    expect(t.settledUntil()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('parseOctal', () => {
  /** The reading it replaced: decode, cut at NUL, trim, match. */
  const byString = (field: Uint8Array): number | undefined => {
    const text = Buffer.from(field).toString('latin1').replace(/\0.*$/s, '').trim();
    return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
  };

  it('reads header fields exactly as decoding, trimming and matching them did', () => {
    const alphabet = [0x30, 0x31, 0x37, 0x38, 0x20, 0x00, 0x09, 0x0a, 0xa0, 0x41, 0x2d];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 8, maxLength: 12 }), (bytes) => {
        const field = Uint8Array.from(bytes);
        expect(parseOctal(field)).toBe(byString(field));
      }),
      { numRuns: 20_000 },
    );
    expect(parseOctal(Buffer.from('0000644\0'))).toBe(0o644);
    expect(parseOctal(Buffer.from(' 17777 \0'))).toBe(0o17777);
    expect(parseOctal(Buffer.alloc(8))).toBeUndefined();
  });
});
