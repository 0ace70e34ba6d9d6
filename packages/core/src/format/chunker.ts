/**
 * Content-defined chunking (FastCDC with normalised chunking, Xia et al., USENIX ATC '16).
 * Boundaries depend only on nearby content, so an edit in one file moves at most the chunks
 * around it and every other chunk keeps its hash: what lets a later save reuse them.
 *
 * The gear table and masks are part of the format: changing them changes every boundary.
 */
export interface ChunkerOptions {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export const DEFAULT_CHUNKING: ChunkerOptions = {
  minSize: 64 * 1024,
  avgSize: 256 * 1024,
  maxSize: 1024 * 1024,
};

const GEAR = (() => {
  // splitmix32 from a fixed seed: a stable pseudo-random table without shipping 256 literals.
  const table = new Int32Array(256);
  let state = 0x5333_c4c3;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
})();

/** A mask with `bits` one-bits spread over the high half, as FastCDC recommends. */
function spreadMask(bits: number): number {
  let mask = 0;
  for (let i = 0; i < bits; i++) mask |= 1 << (31 - i * 2 + (i >= 16 ? 31 : 0));
  return mask | 0;
}

export function validateChunking({ minSize, avgSize, maxSize }: ChunkerOptions): void {
  const pow2 = (n: number) => Number.isInteger(Math.log2(n));
  if (!(minSize >= 64 && minSize < avgSize && avgSize < maxSize && pow2(avgSize))) {
    throw new RangeError(
      `invalid chunking ${minSize}/${avgSize}/${maxSize}: need 64 <= min < avg < max, avg a power of two`,
    );
  }
}

/**
 * Finds the next cut point in `data[start..end)`; returns the chunk length, or -1 when no
 * boundary was found and more input is needed (the caller cuts at maxSize itself).
 */
export function findBoundary(data: Uint8Array, start: number, end: number, opts: ChunkerOptions): number {
  const bits = Math.log2(opts.avgSize);
  // Normalised chunking: harder to cut before the average, easier after it.
  const maskS = spreadMask(bits + 2);
  const maskL = spreadMask(bits - 2);
  const available = end - start;
  if (available <= opts.minSize) return -1;
  const limit = Math.min(available, opts.maxSize);
  const normal = Math.min(opts.avgSize, limit);
  let hash = 0;
  let i = opts.minSize;
  for (; i < normal; i++) {
    hash = ((hash << 1) + (GEAR[data[start + i] as number] as number)) | 0;
    if ((hash & maskS) === 0) return i + 1;
  }
  for (; i < limit; i++) {
    hash = ((hash << 1) + (GEAR[data[start + i] as number] as number)) | 0;
    if ((hash & maskL) === 0) return i + 1;
  }
  return limit === opts.maxSize ? opts.maxSize : -1;
}

/**
 * Streaming chunker: feed buffers, get whole chunks back. Holds at most maxSize bytes plus the
 * last input buffer.
 */
export class Chunker {
  private buffer: Buffer;
  private length = 0;

  constructor(private readonly opts: ChunkerOptions = DEFAULT_CHUNKING) {
    validateChunking(opts);
    this.buffer = Buffer.allocUnsafe(opts.maxSize * 2);
  }

  push(input: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < input.length) {
      const take = Math.min(input.length - offset, this.buffer.length - this.length);
      this.buffer.set(input.subarray(offset, offset + take), this.length);
      this.length += take;
      offset += take;
      let start = 0;
      for (;;) {
        const cut = findBoundary(this.buffer, start, this.length, this.opts);
        if (cut < 0) break;
        out.push(Buffer.from(this.buffer.subarray(start, start + cut)));
        start += cut;
      }
      if (start > 0) {
        this.buffer.copyWithin(0, start, this.length);
        this.length -= start;
      }
    }
    return out;
  }

  /** The final, possibly short, chunk (or nothing). */
  flush(): Buffer[] {
    const out = this.push(new Uint8Array(0));
    if (this.length > 0) out.push(Buffer.from(this.buffer.subarray(0, this.length)));
    this.length = 0;
    return out;
  }
}
