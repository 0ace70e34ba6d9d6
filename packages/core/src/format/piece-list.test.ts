import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PieceList } from './piece-list.js';

/** `bytes` cut at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set([0, ...at.filter((p) => p > 0 && p < bytes.length), bytes.length])].sort(
    (a, b) => a - b,
  );
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe('PieceList', () => {
  it('addresses pieces as one sequence: bytes, views and slices equal the joined bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.array(fc.nat(300), { maxLength: 12 }),
        fc.nat(300),
        fc.nat(300),
        (raw, cuts, a, b) => {
          const bytes = Buffer.from(raw);
          const list = new PieceList(cut(bytes, cuts));
          expect(list.length).toBe(bytes.length);
          const start = Math.min(a, b) % (bytes.length + 1);
          const end = Math.min(Math.max(a, b), bytes.length);
          expect(Buffer.concat(list.views(start, end)).equals(bytes.subarray(start, end))).toBe(true);
          expect(list.slice(start, end).join().equals(bytes.subarray(start, end))).toBe(true);
          if (start < bytes.length) expect(list.byteAt(start)).toBe(bytes[start]);
        },
      ),
    );
  });

  it('hands out views of the pieces, never copies, and joins one piece without copying', () => {
    const a = randomBytes(100);
    const b = randomBytes(100);
    const list = new PieceList([a, Buffer.alloc(0), b]);
    const views = list.views(50, 150);
    expect(views.map((v) => v.buffer)).toEqual([a.buffer, b.buffer]);
    views[1]?.fill(0);
    expect(b.subarray(0, 50).every((x) => x === 0)).toBe(true);
    expect(list.slice(10, 90).join().buffer).toBe(a.buffer);
  });

  it('refuses offsets outside the bytes', () => {
    const list = new PieceList([randomBytes(10), randomBytes(10)]);
    expect(() => list.byteAt(20)).toThrow(RangeError);
    expect(() => list.byteAt(-1)).toThrow(RangeError);
    expect(() => list.views(5, 21)).toThrow(RangeError);
    expect(() => list.views(6, 5)).toThrow(RangeError);
    expect(list.views(20, 20)).toEqual([]);
    expect(new PieceList([]).length).toBe(0);
  });
});
