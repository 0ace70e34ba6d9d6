import type { MessagePort } from 'node:worker_threads';
import type { ChunkerOptions } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { createTarStream } from '../tar/pack.js';
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
  /** Chunks are sent in groups of about this many bytes (one message, one copy, each). */
  groupBytes: number;
  /** Groups sent ahead of the main thread's acknowledgements: bounds the memory in flight. */
  credits: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'chunks'; hashes: string[]; lengths: number[]; incompressible: boolean[]; data: ArrayBuffer }
  | { type: 'warning'; message: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'end' };

/** Sent by the main thread for every group it took. */
export type ParentMessage = { type: 'credit' };

export async function runChunkWorker(port: MessagePort, data: ChunkWorkerData): Promise<void> {
  let credits = data.credits;
  let wake: (() => void) | undefined;
  port.on('message', (message: ParentMessage) => {
    if (message.type === 'credit') {
      credits++;
      wake?.();
    }
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
    // One buffer of its own per group, handed over without a copy: the chunks themselves are
    // views of the chunker's slabs, which cannot be given away while it still fills them.
    const buffer = Buffer.allocUnsafeSlow(bytes);
    let at = 0;
    for (const chunk of group) {
      buffer.set(chunk.data, at);
      at += chunk.data.length;
    }
    post(
      {
        type: 'chunks',
        hashes: group.map((c) => c.hash),
        lengths: group.map((c) => c.data.length),
        incompressible: group.map((c) => c.incompressible),
        data: buffer.buffer as ArrayBuffer,
      },
      [buffer.buffer as ArrayBuffer],
    );
    group = [];
    bytes = 0;
  };

  try {
    const archive = createTarStream(data.items, {
      onWarning: (message) => post({ type: 'warning', message }),
    });
    for await (const chunks of cutChunks(archive, data.chunking)) {
      for (const chunk of chunks) {
        group.push(chunk);
        bytes += chunk.data.length;
      }
      if (bytes >= data.groupBytes) await send();
    }
    await send();
    post({ type: 'end' });
  } catch (err) {
    post({ type: 'failed', error: serializeError(err) });
  }
}

/** The chunks of a `chunks` message, as views of its buffer. */
export function chunksOf(message: Extract<WorkerMessage, { type: 'chunks' }>): SourceChunk[] {
  const data = Buffer.from(message.data);
  const chunks: SourceChunk[] = [];
  let at = 0;
  message.lengths.forEach((length, i) => {
    chunks.push({
      data: data.subarray(at, at + length),
      hash: message.hashes[i] as string,
      incompressible: message.incompressible[i] as boolean,
    });
    at += length;
  });
  return chunks;
}
