import type { MessagePort } from 'node:worker_threads';
import type { ChunkerOptions } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { tarPieces } from '../tar/pack.js';
import { type SerializedError, serializeError } from '../worker/errors.js';
import { SharedSlabPool, type SlabHolds } from './shared-slabs.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

/**
 * The archiving half of a save, run on a worker thread: reading the files into a tar stream,
 * cutting it into chunks, hashing them and judging their compressibility. The main thread is left
 * with compressing, uploading and its event loop, and the two halves use two cores.
 */
export interface ChunkWorkerData {
  chunking: ChunkerOptions;
  /** Chunks are sent in groups of at most this many bytes, or one larger chunk (one message each). */
  groupBytes: number;
  /** Groups sent ahead of the main thread's acknowledgements: bounds the memory in flight. */
  credits: number;
  /**
   * The chunker's slabs, in memory shared with the main thread (see SharedSlabPool), each
   * chunkerSlabBytes(chunking) long. Copying every chunk into a message, and a fresh slab per
   * 16 MiB cut, cost a GiB saved 0.5 CPU-seconds (A/B: 3.87 -> 3.30): copying, page faults and,
   * per 64 MB, a full garbage collection.
   */
  slabs: SharedArrayBuffer[];
}

export type WorkerMessage =
  | { type: 'ready' }
  | {
      type: 'chunks';
      hashes: string[];
      lengths: number[];
      incompressible: boolean[];
      /** Per chunk, the index of the shared slab it is in, or -1 when it is in `data`. */
      slabs: number[];
      /** Per chunk, where it starts in its slab or in `data`. */
      offsets: number[];
      /** The chunks cut from slabs of the worker's own, copied and handed over. */
      data?: ArrayBuffer;
    }
  | { type: 'warning'; message: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'end' };

/**
 * `archive`: what to archive, sent once; the worker starts before the paths are resolved, so that
 * it loads meanwhile (0.1 s of a 1.7 s save of 50,000 files). `credit`: sent by the main thread
 * for every group it took; `release`: it is done with `chunks` more chunks of shared slab `slab`.
 */
export type ParentMessage =
  | { type: 'archive'; items: readonly ResolvedItem[] }
  | { type: 'credit' }
  | { type: 'release'; slab: number; chunks: number };

export async function runChunkWorker(port: MessagePort, data: ChunkWorkerData): Promise<void> {
  let credits = data.credits;
  let wake: (() => void) | undefined;
  let archive: ((items: readonly ResolvedItem[]) => void) | undefined;
  const items = new Promise<readonly ResolvedItem[]>((resolve) => {
    archive = resolve;
  });
  const pool = new SharedSlabPool(data.slabs);
  port.on('message', (message: ParentMessage) => {
    if (message.type === 'archive') archive?.(message.items);
    else if (message.type === 'credit') {
      credits++;
      wake?.();
    } else pool.release(message.slab, message.chunks);
  });
  const post = (message: WorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  post({ type: 'ready' });

  let group: SourceChunk[] = [];
  let where: number[] = [];
  let bytes = 0;
  const send = async (): Promise<void> => {
    if (group.length === 0) return;
    while (credits === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    credits--;
    // Chunks in a shared slab go as their place in it; the others are copied into a buffer
    // handed over (their slab cannot be: the chunker may still be filling it).
    let own = 0;
    group.forEach((chunk, i) => {
      if (where[i] === -1) own += chunk.data.length;
    });
    const buffer = own > 0 ? Buffer.allocUnsafeSlow(own) : undefined;
    let at = 0;
    const offsets = group.map((chunk, i) => {
      if (where[i] !== -1) return chunk.data.byteOffset;
      (buffer as Buffer).set(chunk.data, at);
      at += chunk.data.length;
      return at - chunk.data.length;
    });
    const handed = buffer?.buffer as ArrayBuffer | undefined;
    post(
      {
        type: 'chunks',
        hashes: group.map((c) => c.hash),
        lengths: group.map((c) => c.data.length),
        incompressible: group.map((c) => c.incompressible),
        slabs: where,
        offsets,
        ...(handed ? { data: handed } : {}),
      },
      handed ? [handed] : [],
    );
    group = [];
    where = [];
    bytes = 0;
  };

  try {
    // cutChunks copies each piece into the chunker before asking for the next.
    const tar = tarPieces(await items, {
      onWarning: (message) => post({ type: 'warning', message }),
      reuseBuffers: true,
    });
    for await (const chunks of cutChunks(tar, data.chunking, pool)) {
      for (const chunk of chunks) {
        if (bytes + chunk.data.length > data.groupBytes) await send();
        group.push(chunk);
        where.push(pool.slabOf(chunk.data) ?? -1);
        bytes += chunk.data.length;
      }
    }
    await send();
    post({ type: 'end' });
  } catch (err) {
    post({ type: 'failed', error: serializeError(err) });
  }
}

/**
 * The chunks of a `chunks` message, as views of the shared `slabs` or of the buffer handed over.
 * A chunk in a shared slab is held in `holds` and gets a `release`.
 */
export function chunksOf(
  message: Extract<WorkerMessage, { type: 'chunks' }>,
  slabs: readonly Buffer[],
  holds: SlabHolds,
): SourceChunk[] {
  const handed = message.data ? Buffer.from(message.data) : undefined;
  return message.lengths.map((length, i) => {
    const slab = message.slabs[i] as number;
    const offset = message.offsets[i] as number;
    const chunk: SourceChunk = {
      data: (slab === -1 ? (handed as Buffer) : (slabs[slab] as Buffer)).subarray(offset, offset + length),
      hash: message.hashes[i] as string,
      incompressible: message.incompressible[i] as boolean,
    };
    if (slab !== -1) chunk.release = holds.hold(slab);
    return chunk;
  });
}
