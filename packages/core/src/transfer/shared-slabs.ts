import type { SlabSource } from '../format/chunker.js';

/**
 * The archiving worker's chunker slabs, in memory shared with the main thread, so that chunks
 * reach the pack writer as views of the very bytes the chunker cut, with no copy. A slab is
 * written again only once the chunker has left it (retired) and the main thread has released
 * every chunk sent from it. When none is free the chunker gets a buffer of its own, whose chunks
 * are copied into the message that carries them: a busy pipeline never waits for a slab.
 *
 * The counts are per slab: the chunks cut from it, known once the chunker retires it, and those
 * the main thread reported released (see SlabHolds), which cannot know whether more chunks of a
 * slab are on their way. Counting at the cut, not at the send, keeps a slab from being freed
 * under chunks still waiting in the worker for their group to fill.
 */
export class SharedSlabPool implements SlabSource {
  private readonly slabs: Buffer[];
  private readonly index = new Map<ArrayBufferLike, number>();
  private readonly free: number[];
  /** Chunks cut from each slab: known once the chunker retires it, undefined until then. */
  private readonly cut: (number | undefined)[];
  private readonly released: number[];

  constructor(shared: readonly SharedArrayBuffer[]) {
    this.slabs = shared.map((slab) => Buffer.from(slab));
    shared.forEach((slab, i) => {
      this.index.set(slab, i);
    });
    this.free = shared.map((_, i) => i).reverse();
    this.cut = shared.map(() => undefined);
    this.released = shared.map(() => 0);
  }

  take(bytes: number): Buffer {
    const i = this.free.at(-1);
    if (i === undefined || (this.slabs[i] as Buffer).length !== bytes) return Buffer.allocUnsafe(bytes);
    this.free.pop();
    return this.slabs[i] as Buffer;
  }

  retire(slab: Buffer, chunks: number): void {
    const i = this.index.get(slab.buffer);
    if (i === undefined) return;
    this.cut[i] = chunks;
    this.settle(i);
  }

  /** The index of the shared slab `chunk` is a view of, or undefined for a buffer of its own. */
  slabOf(chunk: Buffer): number | undefined {
    return this.index.get(chunk.buffer);
  }

  /** The main thread is done with `chunks` more chunks of slab `i`. */
  release(i: number, chunks: number): void {
    (this.released[i] as number) += chunks;
    this.settle(i);
  }

  private settle(i: number): void {
    if (this.released[i] !== this.cut[i]) return;
    this.cut[i] = undefined;
    this.released[i] = 0;
    this.free.push(i);
  }
}

/**
 * The main thread's side of SharedSlabPool: counts the chunks it holds in each slab and reports
 * them released (`onFree(slab, chunks)`) whenever it holds none of that slab any more, so that a
 * slab costs a message when it empties rather than one per chunk.
 */
export class SlabHolds {
  private readonly held: number[];
  private readonly done: number[];

  constructor(
    slabs: number,
    private readonly onFree: (slab: number, chunks: number) => void,
  ) {
    this.held = Array.from({ length: slabs }, () => 0);
    this.done = Array.from({ length: slabs }, () => 0);
  }

  /** A chunk of slab `i` was received: the returned function releases it (once). */
  hold(i: number): () => void {
    (this.held[i] as number)++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      (this.done[i] as number)++;
      if (--(this.held[i] as number) === 0) {
        const chunks = this.done[i] as number;
        this.done[i] = 0;
        this.onFree(i, chunks);
      }
    };
  }
}
