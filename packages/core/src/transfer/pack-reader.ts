import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { IntegrityError } from '../errors.js';
import type { ZstdCodec } from '../format/codec.js';
import type { Chunk } from '../format/manifest.js';
import { PieceList } from '../format/piece-list.js';
import { storedFrameContent } from '../format/zstd-frame.js';
import type { Store } from '../store/store.js';

/** A contiguous byte range of one pack covering consecutive chunks: one ranged GET. */
export interface RangePlan {
  packKey: string;
  start: number;
  end: number;
  chunks: Chunk[];
}

/**
 * Coalesces consecutive chunks that sit back to back in the same pack into ranges of at most
 * `maxRangeBytes` (a chunk larger than that gets a range of its own). Pure.
 */
export function planRanges(
  chunks: readonly Chunk[],
  packKeys: readonly string[],
  maxRangeBytes: number,
): RangePlan[] {
  const ranges: RangePlan[] = [];
  let current: RangePlan | undefined;
  for (const chunk of chunks) {
    const packKey = packKeys[chunk.pack];
    if (packKey === undefined) throw new IntegrityError(`chunk refers to unknown pack ${chunk.pack}`);
    if (
      current &&
      current.packKey === packKey &&
      current.end === chunk.offset &&
      current.end - current.start + chunk.length <= maxRangeBytes
    ) {
      current.end += chunk.length;
      current.chunks.push(chunk);
    } else {
      current = { packKey, start: chunk.offset, end: chunk.offset + chunk.length, chunks: [chunk] };
      ranges.push(current);
    }
  }
  return ranges;
}

export interface ReadChunksOptions {
  store: Store;
  codec: ZstdCodec;
  chunks: readonly Chunk[];
  packKeys: readonly string[];
  /** Ranged GETs in flight. */
  concurrency?: number;
  maxRangeBytes?: number;
  signal?: AbortSignal;
  onProgress?: (downloadedBytes: number, rawBytes: number) => void;
}

async function fetchRange(range: RangePlan, opts: ReadChunksOptions): Promise<Buffer[]> {
  const { store } = opts;
  const bytes = new PieceList(
    store.getRangePieces
      ? await store.getRangePieces(range.packKey, range.start, range.end, opts.signal)
      : [await store.getRange(range.packKey, range.start, range.end, opts.signal)],
  );
  const chunks = await Promise.all(
    range.chunks.map(async (chunk) => {
      const at = chunk.offset - range.start;
      const frame = bytes.slice(at, at + chunk.length);
      // Incompressible chunks are stored as raw blocks: their bytes are used in place, as views
      // of the download, with no decoder call and no copy (both fixed costs per chunk that
      // dominated restoring incompressible data). Only compressed frames are joined, for the
      // decoder.
      const pieces = storedFrameContent(frame, chunk.rawLength) ?? [
        await opts.codec.decompress(frame.join(), chunk.rawLength),
      ];
      const hasher = createHash('sha256');
      for (const piece of pieces) hasher.update(piece);
      const hash = hasher.digest('hex');
      if (hash !== chunk.hash) {
        throw new IntegrityError(
          `chunk ${chunk.hash.slice(0, 12)} of ${range.packKey} fails verification (got ${hash.slice(0, 12)})`,
        );
      }
      return pieces;
    }),
  );
  return chunks.flat();
}

/**
 * The verified raw bytes of `chunks`, in order, as a stream. Ranges download and decompress in
 * parallel ahead of the consumer; nothing is emitted before its sha256 matches the manifest, so
 * no unverified byte ever reaches the disk. A window of `concurrency` ranges bounds memory.
 */
export function readChunks(opts: ReadChunksOptions): Readable {
  const concurrency = opts.concurrency ?? 8;
  const ranges = planRanges(opts.chunks, opts.packKeys, opts.maxRangeBytes ?? 8 * 1024 * 1024);
  async function* generate(): AsyncGenerator<Buffer> {
    const inflight: Promise<Buffer[]>[] = [];
    let next = 0;
    let downloaded = 0;
    let raw = 0;
    const launch = () => {
      const range = ranges[next++] as RangePlan;
      const job = fetchRange(range, opts);
      job.catch(() => undefined); // observed when its turn comes
      inflight.push(job);
    };
    try {
      while (next < ranges.length && inflight.length < concurrency) launch();
      let index = 0;
      while (inflight.length > 0) {
        const buffers = await (inflight.shift() as Promise<Buffer[]>);
        const range = ranges[index++] as RangePlan;
        if (next < ranges.length) launch();
        downloaded += range.end - range.start;
        for (const buffer of buffers) {
          raw += buffer.length;
          yield buffer;
        }
        opts.onProgress?.(downloaded, raw);
      }
    } finally {
      inflight.length = 0;
    }
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: 1 });
}
