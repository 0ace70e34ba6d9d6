import { describe, expect, it } from 'vitest';
import { SharedSlabPool, SlabHolds } from './shared-slabs.js';

const SLAB = 1024;

describe('SharedSlabPool', () => {
  it('hands a slab out again only once it is retired and all chunks cut from it are released', () => {
    const pool = new SharedSlabPool([new SharedArrayBuffer(SLAB), new SharedArrayBuffer(SLAB)]);
    const a = pool.take(SLAB);
    const b = pool.take(SLAB);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.buffer).not.toBe(a.buffer);
    expect(pool.slabOf(a.subarray(10, 20))).toBe(pool.slabOf(a));
    // Both in use: the next slab is a buffer of its own.
    const own = pool.take(SLAB);
    expect(own.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(pool.slabOf(own)).toBeUndefined();

    const slabA = pool.slabOf(a) as number;
    pool.release(slabA, 2); // released before the chunker left the slab
    pool.retire(a, 3); // three chunks were cut from it
    expect(pool.take(SLAB).buffer).not.toBeInstanceOf(SharedArrayBuffer);
    pool.release(slabA, 1);
    expect(pool.take(SLAB).buffer).toBe(a.buffer);
  });

  it('frees a slab retired with no chunk out at once, and ignores buffers of its own', () => {
    const pool = new SharedSlabPool([new SharedArrayBuffer(SLAB)]);
    const a = pool.take(SLAB);
    pool.retire(Buffer.alloc(SLAB), 5);
    pool.retire(a, 0);
    expect(pool.take(SLAB).buffer).toBe(a.buffer);
    // A different size never comes from the pool.
    expect(pool.take(SLAB / 2).buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('SlabHolds', () => {
  it('reports a slab once it holds none of its chunks, with how many were released', () => {
    const freed: [number, number][] = [];
    const holds = new SlabHolds(2, (slab, chunks) => freed.push([slab, chunks]));
    const first = [holds.hold(0), holds.hold(0), holds.hold(1)];
    (first[0] as () => void)();
    (first[0] as () => void)(); // a second call is ignored
    expect(freed).toEqual([]);
    (first[1] as () => void)();
    expect(freed).toEqual([[0, 2]]);
    const again = holds.hold(0);
    (first[2] as () => void)();
    again();
    expect(freed).toEqual([
      [0, 2],
      [1, 1],
      [0, 1],
    ]);
  });
});
