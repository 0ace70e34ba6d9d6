import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../errors.js';
import { defaultCodec, nativeCodec, type ZstdCodec, zlibCodec } from './codec.js';
import { MAX_CHUNK_BYTES } from './manifest.js';
import { inspectFrame } from './zstd-frame.js';

const hasZlibZstd = (() => {
  try {
    zlibCodec();
    return true;
  } catch {
    return false;
  }
})();

const sample = Buffer.concat([Buffer.from('text '.repeat(50_000)), randomBytes(200_000)]);

describe('zstd codecs', () => {
  it('loads a codec on this runtime', () => {
    expect(['native', 'node:zlib']).toContain(defaultCodec().name);
  });

  const codecs: [string, () => ZstdCodec][] = [['native', nativeCodec]];
  if (hasZlibZstd) codecs.push(['node:zlib', zlibCodec]);

  for (const [writer, makeWriter] of codecs) {
    for (const [reader, makeReader] of codecs) {
      it(`${reader} decodes frames written by ${writer}`, async () => {
        const frame = await makeWriter().compress(sample, 3);
        expect(frame.length).toBeLessThan(sample.length);
        const info = inspectFrame(frame);
        expect(info.frameLength).toBe(frame.length);
        expect((await makeReader().decompress(frame, sample.length)).equals(sample)).toBe(true);
      });
    }
  }

  it.skipIf(!hasZlibZstd)('node:zlib codec is the fallback on Node >= 22.15 (runs under Node 24)', () => {
    expect(zlibCodec().name).toBe('node:zlib');
  });

  it('refuses a frame whose size differs from the promise, before decompressing', async () => {
    const codec = defaultCodec();
    const frame = await codec.compress(sample, 3);
    await expect(codec.decompress(frame, sample.length + 1)).rejects.toThrow(IntegrityError);
    await expect(codec.decompress(Buffer.concat([frame, frame]), sample.length)).rejects.toThrow(
      /after its frame/,
    );
    await expect(codec.decompress(frame.subarray(0, frame.length - 3), sample.length)).rejects.toThrow(
      IntegrityError,
    );
    await expect(codec.decompress(Buffer.from('not zstd at all'), 10)).rejects.toThrow(/bad magic/);
  });

  it('refuses a decompression bomb by its block headers', async () => {
    // 4,000 RLE blocks of 128 KiB each: ~500 MiB from 16 KB of input.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]);
    const blocks: Buffer[] = [];
    for (let i = 0; i < 4000; i++) {
      const last = i === 3999 ? 1 : 0;
      const value = ((128 * 1024) << 3) | (1 << 1) | last;
      blocks.push(Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, 0x41]));
    }
    const bomb = Buffer.concat([header, ...blocks]);
    expect(inspectFrame(bomb).maxContentSize).toBe(4000 * 128 * 1024);
    await expect(defaultCodec().decompress(bomb, 1024)).rejects.toThrow(/can expand to/);
  });
});

describe.skipIf(!hasZlibZstd)('node:zlib codec with pooled streams', () => {
  const pieces = Array.from({ length: 40 }, (_, i) =>
    Buffer.concat([Buffer.from(`chunk ${i} `.repeat(1000 + i * 37)), randomBytes(i * 100)]),
  );

  it('writes the frames a one-shot call writes, content size included, many at once', async () => {
    const codec = zlibCodec();
    const frames = await Promise.all(pieces.map((piece) => codec.compress(piece, 3)));
    const c = zlib.constants as unknown as Record<string, number>;
    for (const [i, piece] of pieces.entries()) {
      const frame = frames[i] as Buffer;
      const oneShot = (
        zlib as unknown as { zstdCompressSync: (b: Buffer, o: object) => Buffer }
      ).zstdCompressSync(piece, {
        pledgedSrcSize: piece.length,
        params: {
          [c.ZSTD_c_compressionLevel as number]: 3,
          [c.ZSTD_c_contentSizeFlag as number]: 1,
          [c.ZSTD_c_checksumFlag as number]: 0,
        },
      });
      expect(frame.equals(oneShot)).toBe(true);
      expect(inspectFrame(frame).contentSize).toBe(piece.length);
    }
    const back = await Promise.all(
      frames.map((frame, i) => codec.decompress(frame, (pieces[i] as Buffer).length)),
    );
    for (const [i, out] of back.entries()) expect(out.equals(pieces[i] as Buffer)).toBe(true);
  });

  it('honours the level of each call', async () => {
    const codec = zlibCodec();
    const text = Buffer.from('abcdefgh'.repeat(20_000) + 'the quick brown fox '.repeat(5_000));
    const [fast, strong] = await Promise.all([codec.compress(text, 1), codec.compress(text, 19)]);
    expect((strong as Buffer).length).toBeLessThan((fast as Buffer).length);
    for (const frame of [fast, strong] as Buffer[])
      expect((await codec.decompress(frame, text.length)).equals(text)).toBe(true);
  });

  it('round-trips the largest chunk, whose frame spans several output slabs', async () => {
    const codec = zlibCodec();
    const big = Buffer.concat([randomBytes(MAX_CHUNK_BYTES / 2), Buffer.alloc(MAX_CHUNK_BYTES / 2, 7)]);
    const frame = await codec.compress(big, 3);
    expect((await codec.decompress(frame, big.length)).equals(big)).toBe(true);
  });

  it('keeps decoding after a corrupt frame fails', async () => {
    const codec = zlibCodec();
    const frames = await Promise.all(pieces.map((piece) => codec.compress(piece, 3)));
    const corrupt = Buffer.from(frames[5] as Buffer);
    // Garbage in the block's body: the decoder itself fails (the frame's shape is still fine).
    corrupt.fill(0xff, 12);
    const results = await Promise.allSettled(
      frames.map((frame, i) => codec.decompress(i === 5 ? corrupt : frame, (pieces[i] as Buffer).length)),
    );
    expect(results[5]?.status).toBe('rejected');
    expect((results[5] as PromiseRejectedResult).reason).toBeInstanceOf(IntegrityError);
    results.forEach((r, i) => {
      if (i !== 5) expect(r.status === 'fulfilled' && r.value.equals(pieces[i] as Buffer)).toBe(true);
    });
    // A frame without a content size that decodes to other than promised fails too.
    const c = zlib.constants as unknown as Record<string, number>;
    const unsized = (
      zlib as unknown as { zstdCompressSync: (b: Buffer, o: object) => Buffer }
    ).zstdCompressSync(pieces[7] as Buffer, { params: { [c.ZSTD_c_contentSizeFlag as number]: 0 } });
    await expect(codec.decompress(unsized, (pieces[7] as Buffer).length - 1)).rejects.toThrow(
      /decompressed to \d+ bytes, expected/,
    );
    // Every pooled stream still decodes (failed ones were replaced), again and again.
    for (let round = 0; round < 3; round++) {
      const again = await Promise.all(
        frames.map((frame, i) => codec.decompress(frame, (pieces[i] as Buffer).length)),
      );
      for (const [i, out] of again.entries()) expect(out.equals(pieces[i] as Buffer)).toBe(true);
    }
  });
});
