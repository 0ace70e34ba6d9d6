import type { MessagePort } from 'node:worker_threads';
import type { ChunkerOptions } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { tarPieces } from '../tar/pack.js';
import { type SerializedError, serializeError } from '../worker/errors.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

/**
 * The archiving half of a save, run on a worker thread: reading the files into a tar stream,
 * cutting it into chunks, hashing them and judging their compressibility. The main thread is left
 * with compressing, uploading and its event loop, and the two halves use two cores.
 */
export interface ChunkWorkerData {
  items: readonly ResolvedItem[];
  chunking: ChunkerOptions;
  /** Chunks are sent in groups of at most this many bytes, or one larger chunk (one message each). */
  groupBytes: number;
  /** Groups sent ahead of the main thread's acknowledgements: bounds the memory in flight. */
  credits: number;
  /**
   * Memory shared with the main thread, written again and again: a group goes into a free slot
   * that holds it, else into a buffer of its own. The main thread frees a slot once it is done
   * with every chunk in it. A fresh buffer per group cost an allocation, its page faults and,
   * per 64 MB, a full garbage collection on each thread.
   */
  slots: SharedArrayBuffer[];
}

export type WorkerMessage =
  | { type: 'ready' }
  | {
      type: 'chunks';
      hashes: string[];
      lengths: number[];
      incompressible: boolean[];
      /** Where the chunks' bytes are: the index of a slot, or a buffer handed over. */
      data: number | ArrayBuffer;
    }
  | { type: 'warning'; message: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'end' };

/** `credit`: sent by the main thread for every group it took; `release`: a slot is free again. */
export type ParentMessage = { type: 'credit' } | { type: 'release'; slot: number };

export async function runChunkWorker(port: MessagePort, data: ChunkWorkerData): Promise<void> {
  let credits = data.credits;
  let wake: (() => void) | undefined;
  const slots = data.slots.map((slot) => Buffer.from(slot));
  const free = slots.map((_, i) => i).reverse();
  port.on('message', (message: ParentMessage) => {
    if (message.type === 'credit') {
      credits++;
      wake?.();
    } else free.push(message.slot);
  });
  const post = (message: WorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  post({ type: 'ready' });

  let group: SourceChunk[] = [];
  let bytes = 0;
  const send = async (): Promise<void> => {
    if (group.length === 0) return;
    while (credits === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    credits--;
    // The chunks are views of the chunker's slabs, which cannot be given away while it still
    // fills them: they are copied into a slot, or into a buffer handed over without a copy.
    const slot = free.length > 0 && bytes <= (slots[0] as Buffer).length ? (free.pop() as number) : undefined;
    const buffer = slot === undefined ? Buffer.allocUnsafeSlow(bytes) : (slots[slot] as Buffer);
    let at = 0;
    for (const chunk of group) {
      buffer.set(chunk.data, at);
      at += chunk.data.length;
    }
    const owned = buffer.buffer as ArrayBuffer;
    post(
      {
        type: 'chunks',
        hashes: group.map((c) => c.hash),
        lengths: group.map((c) => c.data.length),
        incompressible: group.map((c) => c.incompressible),
        data: slot ?? owned,
      },
      slot === undefined ? [owned] : [],
    );
    group = [];
    bytes = 0;
  };

  try {
    // cutChunks copies each piece into the chunker before asking for the next.
    const archive = tarPieces(data.items, {
      onWarning: (message) => post({ type: 'warning', message }),
      reuseBuffers: true,
    });
    for await (const chunks of cutChunks(archive, data.chunking)) {
      for (const chunk of chunks) {
        // A group stays within groupBytes (or is one larger chunk), so that it fits a slot.
        if (bytes + chunk.data.length > data.groupBytes) await send();
        group.push(chunk);
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
 * The chunks of a `chunks` message, as views of its buffer, or of `slots[slot]`. For a slot,
 * each chunk's `release` is set, and `onFree(slot)` is called once every chunk was released.
 */
export function chunksOf(
  message: Extract<WorkerMessage, { type: 'chunks' }>,
  slots: readonly Buffer[],
  onFree: (slot: number) => void,
): SourceChunk[] {
  const slot = typeof message.data === 'number' ? message.data : undefined;
  const data = slot === undefined ? Buffer.from(message.data as ArrayBuffer) : (slots[slot] as Buffer);
  let held = message.lengths.length;
  const release =
    slot === undefined
      ? undefined
      : () => {
          if (--held === 0) onFree(slot);
        };
  const chunks: SourceChunk[] = [];
  let at = 0;
  message.lengths.forEach((length, i) => {
    chunks.push({
      data: data.subarray(at, at + length),
      hash: message.hashes[i] as string,
      incompressible: message.incompressible[i] as boolean,
      ...(release ? { release } : {}),
    });
    at += length;
  });
  return chunks;
}
