import { describe, expect, it } from 'vitest';
import type { Chunk } from '../format/manifest.js';
import { planRanges } from './pack-reader.js';

const chunk = (pack: number, offset: number, length: number): Chunk => ({
  hash: 'h',
  rawLength: length * 3,
  pack,
  offset,
  length,
});

describe('planRanges', () => {
  it('coalesces adjacent chunks of one pack up to the range size', () => {
    const chunks = [chunk(0, 0, 4), chunk(0, 4, 4), chunk(0, 8, 4), chunk(0, 12, 4)];
    const ranges = planRanges(chunks, ['p0'], 8);
    expect(ranges.map((r) => [r.packKey, r.start, r.end, r.chunks.length])).toEqual([
      ['p0', 0, 8, 2],
      ['p0', 8, 16, 2],
    ]);
  });

  it('breaks ranges at pack switches and gaps, keeping chunk order', () => {
    const chunks = [chunk(0, 0, 4), chunk(1, 0, 2), chunk(0, 4, 4), chunk(0, 20, 4)];
    const ranges = planRanges(chunks, ['base', 'delta'], 1024);
    expect(ranges.map((r) => [r.packKey, r.start, r.end])).toEqual([
      ['base', 0, 4],
      ['delta', 0, 2],
      ['base', 4, 8],
      ['base', 20, 24],
    ]);
  });

  it('gives an oversized chunk a range of its own', () => {
    expect(planRanges([chunk(0, 0, 100)], ['p'], 8)).toHaveLength(1);
  });

  it('refuses a chunk that names an unknown pack', () => {
    expect(() => planRanges([chunk(3, 0, 1)], ['p'], 8)).toThrow(/unknown pack/);
  });
});
