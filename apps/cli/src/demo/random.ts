/**
 * A small seeded generator (mulberry32): the demo's tree is the same on every run, so its sizes
 * and timings compare across machines and versions. Not for anything secret.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 2 ** 32) * n);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next() / 2 ** 32;
  }

  /** Log-uniform integer in [min, max]: many small values, a few large ones, like file sizes. */
  logUniform(min: number, max: number): number {
    return Math.round(Math.exp(Math.log(min) + this.float() * (Math.log(max) - Math.log(min))));
  }

  fill(buffer: Buffer, start = 0, end = buffer.length): void {
    let i = start;
    for (; i + 4 <= end; i += 4) buffer.writeUInt32LE(this.next(), i);
    for (; i < end; i++) buffer[i] = this.next() & 0xff;
  }

  /** `count` distinct indices out of [0, n), in random order. */
  sample(n: number, count: number): number[] {
    const picked = new Set<number>();
    const limit = Math.min(n, count);
    while (picked.size < limit) picked.add(this.int(n));
    return [...picked];
  }
}
