import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Chunker, type ChunkerOptions } from './chunker.js';

const opts: ChunkerOptions = { minSize: 2048, avgSize: 8192, maxSize: 32768 };

function chunkAll(data: Buffer, pieces: number[], o = opts): Buffer[] {
  const chunker = new Chunker(o);
  const out: Buffer[] = [];
  let at = 0;
  for (const size of pieces) {
    out.push(...chunker.push(data.subarray(at, at + size)));
    at += size;
  }
  out.push(...chunker.push(data.subarray(at)), ...chunker.flush());
  return out;
}

describe('Chunker', () => {
  const data = randomBytes(1_000_000);

  it('reassembles to the input, within size bounds, whatever the input buffering', () => {
    const a = chunkAll(data, []);
    const b = chunkAll(data, [1, 7, 4096, 65536, 3, 100_000]);
    expect(Buffer.concat(a).equals(data)).toBe(true);
    expect(b.map((c) => c.length)).toEqual(a.map((c) => c.length));
    for (const chunk of a.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(opts.minSize);
      expect(chunk.length).toBeLessThanOrEqual(opts.maxSize);
    }
    const mean = data.length / a.length;
    expect(mean).toBeGreaterThan(opts.avgSize / 2);
    expect(mean).toBeLessThan(opts.avgSize * 2);
  });

  it('re-synchronises after an insertion: most chunks keep their hash', () => {
    const edited = Buffer.concat([
      data.subarray(0, 300_000),
      Buffer.from('inserted bytes'),
      data.subarray(300_000),
    ]);
    const before = new Set(chunkAll(data, []).map((c) => c.toString('base64')));
    const after = chunkAll(edited, []);
    const shared = after.filter((c) => before.has(c.toString('base64'))).length;
    expect(shared / after.length).toBeGreaterThan(0.9);
  });

  it('cuts incompressible runs of zeros at maxSize', () => {
    const zeros = Buffer.alloc(100_000);
    const chunks = chunkAll(zeros, []);
    expect(chunks.slice(0, -1).every((c) => c.length === opts.maxSize)).toBe(true);
  });

  it('rejects inconsistent options', () => {
    expect(() => new Chunker({ minSize: 10, avgSize: 8192, maxSize: 4096 })).toThrow(RangeError);
  });
});
