import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeCodec, type ZstdCodec, zlibCodec } from './codec.js';
import { looksIncompressible, storedFrame, storedFramePieces } from './stored-frame.js';
import { inspectFrame, storedFrameContent } from './zstd-frame.js';

const codecs: [string, () => ZstdCodec][] = [['native', nativeCodec]];
try {
  zlibCodec();
  codecs.push(['node:zlib', zlibCodec]);
} catch {}

const hasZstd = (() => {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const SIZES = [0, 1, 255, 256, 65_791, 65_792, 128 * 1024, 128 * 1024 + 1, 1024 * 1024 + 3];

describe('storedFrame', () => {
  for (const [name, make] of codecs) {
    it(`writes frames the ${name} codec decodes, for every block layout`, async () => {
      for (const size of SIZES) {
        const data = randomBytes(size);
        const frame = storedFrame(data);
        expect(inspectFrame(frame)).toMatchObject({ contentSize: size, frameLength: frame.length });
        expect((await make().decompress(frame, size)).equals(data)).toBe(true);
      }
    });
  }

  it('comes in pieces that hold the input as views, not copies', () => {
    for (const size of SIZES) {
      const data = randomBytes(size);
      const pieces = storedFramePieces(data);
      expect(Buffer.concat(pieces).equals(storedFrame(data))).toBe(true);
      const views = pieces.filter((piece) => piece.buffer === data.buffer);
      expect(views.reduce((sum, piece) => sum + piece.length, 0)).toBe(size);
    }
  });

  it('is read in place by the raw-block restore path', () => {
    for (const size of SIZES.filter((s) => s > 0)) {
      const data = randomBytes(size);
      const frame = storedFrame(data);
      const pieces = storedFrameContent(frame, size) ?? [];
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
      for (const piece of pieces) expect(piece.buffer).toBe(frame.buffer);
    }
  });

  it.skipIf(!hasZstd)('is read by the zstd command line tool, concatenated as in a pack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stored-frame-'));
    try {
      const parts = SIZES.map((size) => randomBytes(size));
      writeFileSync(join(dir, 'pack'), Buffer.concat(parts.map((p) => storedFrame(p))));
      const out = execFileSync('zstd', ['-dc', join(dir, 'pack')], { maxBuffer: 64 * 1024 * 1024 });
      expect(out.equals(Buffer.concat(parts))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('looksIncompressible', () => {
  const noise = (size: number) =>
    createCipheriv('aes-128-ctr', Buffer.alloc(16), Buffer.alloc(16)).update(Buffer.alloc(size));

  it('recognises random bytes, at every chunk size worth sampling', () => {
    for (const size of [2048, 8192, 32 * 1024, 1024 * 1024, 4 * 1024 * 1024]) {
      expect(looksIncompressible(noise(size))).toBe(true);
    }
  });

  it('recognises random bytes every time at the smallest size it judges', () => {
    for (let seed = 0; seed < 200; seed++) {
      const key = Buffer.alloc(16);
      key.writeUInt32LE(seed);
      const data = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(2048));
      expect(looksIncompressible(data)).toBe(true);
    }
  });

  it('stores an object file behind its tar header, where zstd would save under 2%', async () => {
    const header = Buffer.alloc(512);
    header.write('ccache/3/a/0f3e2d1c-R.o', 0);
    for (const [at, field] of [
      [100, '0000644'],
      [108, '0000000'],
      [116, '0000000'],
      [124, '00000060000'],
    ] as const)
      header.write(field, at);
    header.write('ustar', 257);
    const chunk = Buffer.concat([header, noise(24 * 1024)]);
    expect(looksIncompressible(chunk)).toBe(true);
    const frame = await nativeCodec().compress(chunk, 3);
    expect(frame.length).toBeGreaterThan(chunk.length * 0.98);
  });

  it('leaves text, sparse, structured and small chunks to the compressor', async () => {
    const text = Buffer.from('static int foo(const char *bar) { return bar[0] == 42; }\n'.repeat(2000));
    const half = Buffer.concat([noise(64 * 1024), Buffer.alloc(64 * 1024)]);
    const words = Buffer.alloc(256 * 1024);
    for (let i = 0; i < words.length; i += 4) words.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, i); // hashed ints
    expect(looksIncompressible(text)).toBe(false);
    expect(looksIncompressible(Buffer.alloc(1024 * 1024))).toBe(false);
    expect(looksIncompressible(half)).toBe(false);
    expect(looksIncompressible(noise(2047))).toBe(false);
    // Only as good as zstd's own judgement: whatever it calls incompressible here, zstd agrees.
    for (const data of [text, half, words]) {
      if (looksIncompressible(data))
        expect(nativeCodec().compress(data, 3)).resolves.toHaveLength(data.length + 12);
    }
  });
});
