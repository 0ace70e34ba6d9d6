import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../errors.js';
import { defaultCodec, nativeCodec, type ZstdCodec, zlibCodec } from './codec.js';
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
