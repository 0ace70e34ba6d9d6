/**
 * Bytes held as the pieces they arrived in (an HTTP body's socket reads), addressed as one
 * sequence without ever being joined. Joining a download into one buffer costs a copy of every
 * byte and a fresh allocation per range; the allocations are what makes V8 run a full garbage
 * collection every few tens of megabytes of a restore.
 */
export class PieceList {
  readonly length: number;
  private readonly pieces: readonly Uint8Array[];
  /** `starts[i]` is the offset of `pieces[i]`; one extra entry holds the length. */
  private readonly starts: number[];

  constructor(pieces: readonly Uint8Array[]) {
    this.pieces = pieces.filter((piece) => piece.length > 0);
    this.starts = [0];
    let length = 0;
    for (const piece of this.pieces) {
      length += piece.length;
      this.starts.push(length);
    }
    this.length = length;
  }

  /** The byte at `offset`, which must be inside the list. */
  byteAt(offset: number): number {
    const index = this.indexOf(offset);
    return (this.pieces[index] as Uint8Array)[offset - (this.starts[index] as number)] as number;
  }

  /** Bytes [start, end) as views of the pieces, in order (no copy). */
  views(start: number, end: number): Buffer[] {
    if (start < 0 || end > this.length || start > end) {
      throw new RangeError(`[${start}, ${end}) is outside a ${this.length}-byte piece list`);
    }
    const out: Buffer[] = [];
    if (start === end) return out;
    for (let index = this.indexOf(start); index < this.pieces.length; index++) {
      const at = this.starts[index] as number;
      if (at >= end) break;
      const piece = this.pieces[index] as Uint8Array;
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, piece.length);
      out.push(Buffer.from(piece.buffer, piece.byteOffset + from, to - from));
    }
    return out;
  }

  /** Bytes [start, end) as a list of their own, sharing the memory. */
  slice(start: number, end: number): PieceList {
    return new PieceList(this.views(start, end));
  }

  /** All bytes in one buffer: a view when there is one piece, else a copy. */
  join(): Buffer {
    const views = this.views(0, this.length);
    return views.length === 1 ? (views[0] as Buffer) : Buffer.concat(views, this.length);
  }

  /** Index of the piece holding `offset` (binary search over the starts). */
  private indexOf(offset: number): number {
    if (offset < 0 || offset >= this.length) {
      throw new RangeError(`offset ${offset} is outside a ${this.length}-byte piece list`);
    }
    let low = 0;
    let high = this.pieces.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
