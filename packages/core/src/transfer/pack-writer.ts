import type { ZstdCodec } from '../format/codec.js';
import { storedFramePieces } from '../format/stored-frame.js';
import type { Store, Tags } from '../store/store.js';
import { PieceChannel } from './piece-channel.js';
import type { SourceChunk } from './source-chunks.js';

/** Where an existing chunk can be found, for chunks a save may reuse instead of uploading. */
export interface ReusableChunk {
  /** Index into the caller's pack list. */
  pack: number;
  offset: number;
  length: number;
}

export interface WrittenChunk {
  hash: string;
  rawLength: number;
  /** `undefined`: stored in the pack this call wrote; otherwise the reused chunk's pack index. */
  pack: number | undefined;
  offset: number;
  length: number;
}

export interface WritePackOptions {
  store: Store;
  codec: ZstdCodec;
  /** Object key of the new pack; nothing is uploaded if every chunk is reused. */
  packKey: string;
  tags: Tags;
  level?: number;
  /** Chunks compressed at once. */
  concurrency?: number;
  partSize?: number;
  queueSize?: number;
  reuse?: ReadonlyMap<string, ReusableChunk>;
  onProgress?: (rawBytes: number, packBytes: number) => void;
  signal?: AbortSignal;
}

export interface WritePackResult {
  chunks: WrittenChunk[];
  rawBytes: number;
  /** Bytes of the pack written (0 when nothing new was uploaded). */
  packBytes: number;
  reusedChunks: number;
}

interface Job {
  hash: string;
  rawLength: number;
  reused: ReusableChunk | undefined;
  /** The chunk's zstd frame, in pieces to write one after the other. */
  frame: Promise<Buffer[]> | undefined;
  /** The chunk's release, when its frame's pieces are views of its data (a stored frame). */
  releaseAfterUpload: (() => void) | undefined;
}

/**
 * Compresses each chunk of `source` (see cutChunks) as its own zstd frame, in parallel, and
 * streams the frames in order into one pack object; chunks in `reuse` are only recorded. Memory
 * stays bounded by `concurrency` chunks plus the uploader's parts in flight, whatever the cache
 * size.
 */
export async function writePack(
  source: AsyncIterable<SourceChunk[]>,
  opts: WritePackOptions,
): Promise<WritePackResult> {
  const level = opts.level ?? 3;
  const concurrency = opts.concurrency ?? 8;
  const chunks: WrittenChunk[] = [];
  const queue: Job[] = [];
  let rawBytes = 0;
  let packBytes = 0;
  let reusedChunks = 0;
  let pack: PieceChannel | undefined;
  let uploading: Promise<{ size: number }> | undefined;

  const startUpload = (): PieceChannel => {
    const channel = new PieceChannel(4 * 1024 * 1024);
    uploading = opts.store.upload(opts.packKey, channel, {
      tags: opts.tags,
      ...(opts.partSize ? { partSize: opts.partSize } : {}),
      ...(opts.queueSize ? { queueSize: opts.queueSize } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    // Surface an upload failure now rather than when the pack ends.
    uploading.catch((err: unknown) => channel.destroy(err as Error));
    return channel;
  };

  const emit = async (job: Job): Promise<void> => {
    if (job.reused) {
      reusedChunks++;
      chunks.push({ hash: job.hash, rawLength: job.rawLength, pack: job.reused.pack, ...pick(job.reused) });
      return;
    }
    const pieces = await (job.frame as Promise<Buffer[]>);
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    pack ??= startUpload();
    chunks.push({ hash: job.hash, rawLength: job.rawLength, pack: undefined, offset: packBytes, length });
    packBytes += length;
    try {
      // A stored frame's pieces view the chunk's data: it is released once the last of them is
      // consumed, by which time the uploader is done with all of them.
      for (const [i, piece] of pieces.entries()) {
        await pack.push(piece, i === pieces.length - 1 ? job.releaseAfterUpload : undefined);
      }
    } catch (err) {
      // The upload failed and closed the channel: its own error says why.
      await uploading;
      throw err;
    }
    opts.onProgress?.(rawBytes, packBytes);
  };

  const enqueue = async ({ data, hash, incompressible, release }: SourceChunk): Promise<void> => {
    rawBytes += data.length;
    const reused = opts.reuse?.get(hash);
    if (reused) release?.();
    // Incompressible chunks skip the compressor: zstd would only store them as raw blocks too.
    // A compressed chunk's data is done with once its frame exists.
    const frame = reused
      ? undefined
      : incompressible
        ? Promise.resolve(storedFramePieces(data))
        : opts.codec
            .compress(data, level)
            .finally(() => release?.())
            .then((frame) => [frame]);
    frame?.catch(() => undefined); // handled when emitted, in order
    const releaseAfterUpload = !reused && incompressible ? release : undefined;
    queue.push({ hash, rawLength: data.length, reused, frame, releaseAfterUpload });
    while (queue.length >= concurrency) await emit(queue.shift() as Job);
  };

  try {
    for await (const group of source) {
      opts.signal?.throwIfAborted();
      for (const chunk of group) await enqueue(chunk);
    }
    while (queue.length > 0) await emit(queue.shift() as Job);
    if (pack) {
      pack.end();
      const { size } = await (uploading as Promise<{ size: number }>);
      if (size !== packBytes) throw new Error(`pack ${opts.packKey} has ${size} bytes, wrote ${packBytes}`);
    }
  } catch (err) {
    pack?.destroy(err as Error);
    await uploading?.catch(() => undefined);
    throw err;
  }
  return { chunks, rawBytes, packBytes, reusedChunks };
}

function pick(r: ReusableChunk): { offset: number; length: number } {
  return { offset: r.offset, length: r.length };
}
