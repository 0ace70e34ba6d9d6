import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../errors.js';
import { nativeCodec, type ZstdCodec, zlibCodec } from './codec.js';
import { PieceList } from './piece-list.js';
import { storedFrameContent } from './zstd-frame.js';

const codecs: [string, () => ZstdCodec][] = [['native', nativeCodec]];
try {
  zlibCodec();
  codecs.push(['node:zlib', zlibCodec]);
} catch {}

/** A frame of raw blocks, as RFC 8878 lays it out: magic, descriptor, window, blocks. */
function rawFrame(blocks: Buffer[], opts: { checksum?: boolean; contentSize?: number } = {}): Buffer {
  const descriptor = (opts.contentSize !== undefined ? 2 << 6 : 0) | (opts.checksum ? 4 : 0);
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, descriptor, 0x58])];
  if (opts.contentSize !== undefined) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(opts.contentSize);
    parts.push(size);
  }
  blocks.forEach((block, i) => {
    const header = (block.length << 3) | (i === blocks.length - 1 ? 1 : 0);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  });
  if (opts.checksum) parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

describe('storedFrameContent', () => {
  for (const [name, make] of codecs) {
    it(`reads the raw blocks ${name} writes for incompressible chunks, in place`, async () => {
      const chunk = randomBytes(100_000);
      const frame = await make().compress(chunk, 3);
      const content = storedFrameContent(frame, chunk.length) ?? [];
      expect(Buffer.concat(content).equals(chunk)).toBe(true);
      for (const block of content) expect(block.buffer).toBe(frame.buffer); // views, no copy
    });

    it(`leaves compressed frames from ${name} to the codec`, async () => {
      const chunk = Buffer.from('compressible '.repeat(5000));
      expect(storedFrameContent(await make().compress(chunk, 3), chunk.length)).toBeUndefined();
    });
  }

  it('returns several raw blocks in order', () => {
    const blocks = [randomBytes(128 * 1024), randomBytes(1000)];
    const content = storedFrameContent(rawFrame(blocks), 128 * 1024 + 1000) ?? [];
    expect(content).toHaveLength(2);
    expect(Buffer.concat(content).equals(Buffer.concat(blocks))).toBe(true);
  });

  it('reads a frame split into pieces anywhere, headers included, as views of the pieces', () => {
    const blocks = [randomBytes(128 * 1024), randomBytes(128 * 1024), randomBytes(777)];
    const frame = rawFrame(blocks, { contentSize: 2 * 128 * 1024 + 777 });
    const expected = Buffer.concat(blocks);
    // Cuts inside the magic, the descriptor, the content size, a block header and a block.
    for (const cuts of [
      [1],
      [4, 5],
      [7],
      [10, 11, 12],
      [10 + 3 + 128 * 1024 + 1],
      [3, 9000, 64 * 1024, 200_000],
    ]) {
      const points = [0, ...cuts, frame.length];
      const pieces = points.slice(1).map((end, i) => Buffer.from(frame.subarray(points[i], end)));
      const content = storedFrameContent(new PieceList(pieces), expected.length) ?? [];
      expect(Buffer.concat(content).equals(expected)).toBe(true);
      for (const view of content) expect(pieces.some((piece) => piece.buffer === view.buffer)).toBe(true);
    }
  });

  it('declines frames whose size, shape or checksum it does not vouch for', () => {
    const block = randomBytes(5000);
    expect(storedFrameContent(rawFrame([block]), 4999)).toBeUndefined();
    expect(storedFrameContent(rawFrame([block], { contentSize: 4000 }), 5000)).toBeUndefined();
    expect(storedFrameContent(rawFrame([block], { checksum: true }), 5000)).toBeUndefined();
    expect(storedFrameContent(Buffer.concat([rawFrame([block]), Buffer.from([0])]), 5000)).toBeUndefined();
    expect(storedFrameContent(rawFrame([block], { contentSize: 5000 }), 5000)?.[0]?.equals(block)).toBe(true);
  });

  it('throws IntegrityError for a malformed frame, as inspectFrame does', () => {
    const frame = rawFrame([randomBytes(5000)]);
    expect(() => storedFrameContent(frame.subarray(0, 100), 5000)).toThrow(IntegrityError);
    const bad = Buffer.from(frame);
    bad[0] = 0;
    expect(() => storedFrameContent(bad, 5000)).toThrow(IntegrityError);
  });
});
