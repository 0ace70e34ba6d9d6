import { TarBoundaries } from './tar-boundaries.js';

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
  /**
   * When the input is a tar stream: files of at least this many bytes start a chunk of their
   * own (see TarBoundaries). 0 turns it off.
   */
  fileAlignBytes?: number;
  /**
   * With fileAlignBytes: chunks that start inside a file of at least `minFileBytes` are cut with
   * these larger sizes instead. Per-chunk costs (a hash, a zstd call each way, a manifest row)
   * dominate at small sizes: a 1 GiB file made 28,700 chunks of 32 KiB. A change inside such a
   * file re-uploads a few MiB at most, next to nothing beside the file.
   */
  largeFiles?: { minFileBytes: number; minSize: number; avgSize: number; maxSize: number };
}

/**
 * Tuned by bench/deltas.ts: with 256 KiB chunks a 3% rewrite of a compiler cache uploaded 11× the
 * changed files' compressed size (each chunk holds a dozen objects); 32 KiB chunks with files of
 * 8 KiB or more aligned to chunk starts bring that to ~1.3× at ~5% larger packs for text-heavy
 * trees. Smaller settings gain little more and multiply the chunk count.
 */
export const DEFAULT_CHUNKING: ChunkerOptions = {
  minSize: 8 * 1024,
  avgSize: 32 * 1024,
  maxSize: 128 * 1024,
  fileAlignBytes: 8 * 1024,
  largeFiles: {
    minFileBytes: 8 * 1024 * 1024,
    minSize: 256 * 1024,
    avgSize: 1024 * 1024,
    maxSize: 4 * 1024 * 1024,
  },
};

/**
 * For entries that never take deltas (content-addressed keys, `use-deltas: false`): large chunks
 * compress better (the demo tree: 2.3× with 256 KiB+ frames against 1.7× with 32 KiB ones) and
 * cost less per byte to hash, compress and verify.
 */
export const ARCHIVE_CHUNKING: ChunkerOptions = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
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

export function validateChunking(opts: ChunkerOptions): void {
  validateSizes(opts);
  if (opts.largeFiles) validateSizes(opts.largeFiles);
}

function validateSizes({
  minSize,
  avgSize,
  maxSize,
}: Pick<ChunkerOptions, 'minSize' | 'avgSize' | 'maxSize'>): void {
  const pow2 = (n: number) => Number.isInteger(Math.log2(n));
  if (!(minSize >= 64 && minSize < avgSize && avgSize < maxSize && pow2(avgSize))) {
    throw new RangeError(
      `invalid chunking ${minSize}/${avgSize}/${maxSize}: need 64 <= min < avg < max, avg a power of two`,
    );
  }
}

/** The normalised-chunking masks for an average size: strict before it, lax after it. */
function masksFor(avgSize: number): [number, number] {
  const bits = Math.log2(avgSize);
  return [spreadMask(bits + 2), spreadMask(bits - 2)];
}

/**
 * Rolls the gear hash over `data[from..to)` and returns the index just past the first position
 * whose hash has no bit of `mask` set, or -1. `state[0]` holds the hash on entry and on exit (so a
 * scan can resume where it stopped). The hot loop of saving: kept free of property loads and
 * bounds checks V8 cannot hoist, and unrolled by four.
 */
function roll(data: Uint8Array, from: number, to: number, mask: number, state: Int32Array): number {
  const gear = GEAR;
  let hash = state[0] as number;
  let i = from;
  const end4 = to - 3;
  while (i < end4) {
    hash = ((hash << 1) + (gear[data[i] as number] as number)) | 0;
    if ((hash & mask) === 0) {
      state[0] = hash;
      return i + 1;
    }
    hash = ((hash << 1) + (gear[data[i + 1] as number] as number)) | 0;
    if ((hash & mask) === 0) {
      state[0] = hash;
      return i + 2;
    }
    hash = ((hash << 1) + (gear[data[i + 2] as number] as number)) | 0;
    if ((hash & mask) === 0) {
      state[0] = hash;
      return i + 3;
    }
    hash = ((hash << 1) + (gear[data[i + 3] as number] as number)) | 0;
    if ((hash & mask) === 0) {
      state[0] = hash;
      return i + 4;
    }
    i += 4;
  }
  for (; i < to; i++) {
    hash = ((hash << 1) + (gear[data[i] as number] as number)) | 0;
    if ((hash & mask) === 0) {
      state[0] = hash;
      return i + 1;
    }
  }
  state[0] = hash;
  return -1;
}

/**
 * Content-defined boundary search over one chunk, resumable: `scan` may be called again for the
 * same chunk start with more bytes available and continues where the last call stopped, with
 * exactly the result a scan from scratch would give (the hash at a position depends only on the
 * bytes from minSize up to it, and which mask applies depends only on the position).
 */
class BoundaryScanner {
  private readonly maskS: number;
  private readonly maskL: number;
  private readonly state = new Int32Array(1);
  /** Next position (relative to the chunk start) to hash. */
  private position: number;

  constructor(private readonly opts: Pick<ChunkerOptions, 'minSize' | 'avgSize' | 'maxSize'>) {
    [this.maskS, this.maskL] = masksFor(opts.avgSize);
    this.position = opts.minSize;
  }

  get maxSize(): number {
    return this.opts.maxSize;
  }

  /** Forget the current chunk: the next scan starts a new one. */
  reset(): void {
    this.position = this.opts.minSize;
    this.state[0] = 0;
  }

  /**
   * The chunk length if a boundary lies in `data[start..end)` (or maxSize when that much is
   * there without one); -1 when more input is needed.
   */
  scan(data: Uint8Array, start: number, end: number): number {
    const { minSize, avgSize, maxSize } = this.opts;
    const available = end - start;
    if (available <= minSize) return -1;
    const limit = Math.min(available, maxSize);
    let i = this.position;
    if (i < limit) {
      const normal = Math.min(avgSize, limit);
      if (i < normal) {
        const found = roll(data, start + i, start + normal, this.maskS, this.state);
        if (found >= 0) return found - start;
        i = normal;
      }
      if (i < limit) {
        const found = roll(data, start + i, start + limit, this.maskL, this.state);
        if (found >= 0) return found - start;
        i = limit;
      }
      this.position = i;
    }
    return limit === maxSize ? maxSize : -1;
  }
}

/**
 * Finds the next cut point in `data[start..end)`; returns the chunk length, or -1 when no
 * boundary was found and more input is needed (the caller cuts at maxSize itself).
 */
export function findBoundary(data: Uint8Array, start: number, end: number, opts: ChunkerOptions): number {
  return new BoundaryScanner(opts).scan(data, start, end);
}

/** Least size of the buffers chunks are cut from (see Chunker). */
const SLAB_BYTES = 4 * 1024 * 1024;

/** The largest chunk a Chunker cuts (large-file sizes apply only with tar alignment). */
function largestChunk(opts: ChunkerOptions): number {
  return Math.max(opts.maxSize, opts.fileAlignBytes ? (opts.largeFiles?.maxSize ?? 0) : 0);
}

/** Size of the slabs a Chunker with these options cuts chunks from. */
export function chunkerSlabBytes(opts: ChunkerOptions): number {
  return Math.max(SLAB_BYTES, 4 * largestChunk(opts));
}

/** Where a Chunker gets the slabs it cuts chunks from. */
export interface SlabSource {
  /** A buffer of `bytes` bytes that nothing else uses. */
  take(bytes: number): Buffer;
  /**
   * No chunk will be cut from `slab` any more, nor will the chunker write it again: `chunks`
   * chunks were cut from it, and they may still be in use.
   */
  retire(slab: Buffer, chunks: number): void;
}

const FRESH_SLABS: SlabSource = { take: (bytes) => Buffer.allocUnsafe(bytes), retire: () => undefined };

/**
 * Streaming chunker: feed buffers, get whole chunks back. At most twice maxSize bytes are held
 * uncut. Chunks are views of a slab (max(4 MiB, 4 × maxSize) bytes) that is never written twice:
 * when it is full, the uncut bytes move to the next slab, and the old one lives on only as long
 * as chunks cut from it do. A chunk thus costs no copy and no allocation of its own. Slabs are
 * fresh buffers unless a SlabSource recycles them.
 */
export class Chunker {
  private slab: Buffer;
  /** slab[head..tail) holds the bytes not cut yet. */
  private head = 0;
  private tail = 0;
  /** Absolute stream offset of slab[head]. */
  private consumed = 0;
  /** Most bytes held uncut: the buffer the boundary rules were defined with. */
  private readonly capacity: number;
  private readonly tar: TarBoundaries | undefined;
  private readonly small: BoundaryScanner;
  /** For chunks starting inside a large file (ChunkerOptions.largeFiles), when enabled. */
  private readonly large: BoundaryScanner | undefined;
  private scanner: BoundaryScanner;
  /** Absolute offset of the chunk the scanner's state belongs to. */
  private scanning = -1;
  /** Chunks cut from the current slab. */
  private cutFromSlab = 0;

  constructor(
    opts: ChunkerOptions = DEFAULT_CHUNKING,
    private readonly slabs: SlabSource = FRESH_SLABS,
  ) {
    validateChunking(opts);
    this.small = new BoundaryScanner(opts);
    this.scanner = this.small;
    this.tar = opts.fileAlignBytes
      ? new TarBoundaries(opts.fileAlignBytes, opts.largeFiles?.minFileBytes)
      : undefined;
    this.large = this.tar && opts.largeFiles ? new BoundaryScanner(opts.largeFiles) : undefined;
    this.capacity = 2 * largestChunk(opts);
    this.slab = slabs.take(chunkerSlabBytes(opts));
  }

  push(input: Uint8Array): Buffer[] {
    this.tar?.push(input);
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < input.length) {
      if (this.tail === this.slab.length) this.renew();
      const take = Math.min(
        input.length - offset,
        this.capacity - (this.tail - this.head),
        this.slab.length - this.tail,
      );
      this.slab.set(input.subarray(offset, offset + take), this.tail);
      this.tail += take;
      offset += take;
      this.cut(out, false);
    }
    return out;
  }

  /** The final chunks: whatever is buffered, cut where boundaries fall. */
  flush(): Buffer[] {
    const out: Buffer[] = [];
    this.cut(out, true);
    if (this.tail > this.head) {
      out.push(this.slab.subarray(this.head, this.tail));
      this.cutFromSlab++;
    }
    this.consumed += this.tail - this.head;
    this.head = this.tail;
    return out;
  }

  /** Moves the uncut bytes to the next slab: chunks already returned keep viewing the old one. */
  private renew(): void {
    const next = this.slabs.take(this.slab.length);
    this.slab.copy(next, 0, this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
    this.slabs.retire(this.slab, this.cutFromSlab);
    this.slab = next;
    this.cutFromSlab = 0;
  }

  private cut(out: Buffer[], final: boolean): void {
    // Offsets below are relative to slab[head], as if the uncut bytes started a buffer.
    const base = this.head;
    const length = this.tail - this.head;
    let start = 0;
    for (;;) {
      const settled = final || !this.tar ? length : Math.min(length, this.tar.settledUntil() - this.consumed);
      const absolute = this.consumed + start;
      // Which sizes apply depends on the entry the chunk starts in. Its header is always parsed
      // before anything past the chunk start is settled, so the choice never changes mid-chunk.
      const scanner = this.large && this.tar?.inLargeFile(absolute) ? this.large : this.small;
      if (absolute !== this.scanning || scanner !== this.scanner) {
        this.scanner = scanner;
        this.scanner.reset();
        this.scanning = absolute;
      }
      const content = this.scanner.scan(this.slab, base + start, base + settled);
      const horizon = content > 0 ? content : settled - start;
      const forced = this.tar?.nextCut(absolute, absolute + horizon);
      let cut = forced !== undefined ? forced - absolute : content;
      // A tar whose extension headers outgrow the buffer cannot wait for its entry: cut anyway.
      if (cut < 0 && length === this.capacity && start === 0) cut = Math.max(1, settled);
      if (cut <= 0) break;
      out.push(this.slab.subarray(base + start, base + start + cut));
      this.cutFromSlab++;
      start += cut;
    }
    this.head += start;
    this.consumed += start;
  }
}
