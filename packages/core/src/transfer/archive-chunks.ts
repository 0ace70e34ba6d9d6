import type { Worker } from 'node:worker_threads';
import { type ChunkerOptions, chunkerSlabBytes } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { tarPieces } from '../tar/pack.js';
import { deserializeError } from '../worker/errors.js';
import { startWorker, type WorkerScript } from '../worker/script.js';
import { type ChunkWorkerData, chunksOf, type ParentMessage, type WorkerMessage } from './chunk-worker.js';
import { SlabHolds } from './shared-slabs.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

/** Shared chunker slabs (16 MiB each with the default chunking). */
const DEFAULT_SHARED_SLABS = 6;

export interface ArchiveChunksOptions {
  /** The worker thread to archive on; without one, archiving runs on the calling thread. */
  worker?: WorkerScript | undefined;
  chunking: ChunkerOptions;
  onWarning: (message: string) => void;
  /** Told when the worker could not start and archiving fell back to the main thread. */
  onFallback?: (why: string) => void;
  groupBytes?: number;
  credits?: number;
  /** How many chunker slabs are shared with the worker (see ChunkWorkerData.slabs). */
  slabs?: number;
}

/** Archiving of a save, set up before its items are known (see startArchiving). */
export interface Archiving {
  /** The chunks of the tar archive of `items`; call once. */
  chunks(items: readonly ResolvedItem[]): AsyncGenerator<SourceChunk[], void, undefined>;
  /** Stops the worker, if any; for when chunks() is never run (it stops the worker itself). */
  close(): Promise<void>;
}

/**
 * The chunks of the tar archive of `items`: cutChunks(tarPieces(items)), on `opts.worker`
 * when given (see chunk-worker.ts), with the same chunks, hashes, warnings and errors. A worker
 * that cannot start (its script will not load, threads are unavailable) is not an error: the
 * archive is then made on the calling thread instead.
 */
export async function* archiveChunks(
  items: readonly ResolvedItem[],
  opts: ArchiveChunksOptions,
): AsyncGenerator<SourceChunk[], void, undefined> {
  // Started on the first pull; chunks() stops the worker when it ends, however it ends.
  yield* startArchiving(opts).chunks(items);
}

/**
 * archiveChunks in two steps: the worker starts now and loads its script while the caller
 * resolves the paths (which is main-thread work), and archives once given the items.
 */
export function startArchiving(opts: ArchiveChunksOptions): Archiving {
  // cutChunks copies each piece into the chunker before asking for the next.
  const inThread = (items: readonly ResolvedItem[]) =>
    cutChunks(tarPieces(items, { onWarning: opts.onWarning, reuseBuffers: true }), opts.chunking);
  const onThisThread: Archiving = { chunks: inThread, close: async () => {} };
  if (!opts.worker) return onThisThread;
  // Enough for the slab being cut, the groups in flight and the chunks the pack writer still
  // holds (being compressed, or queued for upload); beyond that the chunker allocates slabs.
  const shared = Array.from(
    { length: opts.slabs ?? DEFAULT_SHARED_SLABS },
    () => new SharedArrayBuffer(chunkerSlabBytes(opts.chunking)),
  );
  const data: ChunkWorkerData = {
    chunking: opts.chunking,
    groupBytes: opts.groupBytes ?? 1024 * 1024,
    credits: opts.credits ?? 8,
    slabs: shared,
  };
  let worker: Worker;
  try {
    worker = startWorker(opts.worker, data);
  } catch (err) {
    opts.onFallback?.((err as Error).message);
    return onThisThread;
  }
  const inbox: WorkerMessage[] = [];
  let failure: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Listening from the start: a worker that fails while loading reports it before any items.
  worker.on('message', (message: WorkerMessage) => {
    inbox.push(message);
    notify();
  });
  worker.on('error', (err) => {
    failure ??= err;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  const close = async (): Promise<void> => void (await worker.terminate());

  async function* chunks(items: readonly ResolvedItem[]): AsyncGenerator<SourceChunk[], void, undefined> {
    const slabs = shared.map((slab) => Buffer.from(slab));
    const holds = new SlabHolds(shared.length, (slab, chunks) => {
      if (!exited) worker.postMessage({ type: 'release', slab, chunks } satisfies ParentMessage);
    });
    if (!exited) worker.postMessage({ type: 'archive', items } satisfies ParentMessage);
    let started = false;
    try {
      for (;;) {
        const message = inbox.shift();
        if (!message) {
          if (failure || exited) {
            const why = failure?.message ?? 'the archiving worker exited before it finished';
            if (started) throw failure ?? new Error(why);
            opts.onFallback?.(why);
            yield* inThread(items);
            return;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        started = true;
        switch (message.type) {
          case 'ready':
            break;
          case 'warning':
            opts.onWarning(message.message);
            break;
          case 'failed':
            throw deserializeError(message.error);
          case 'end':
            return;
          case 'chunks':
            worker.postMessage({ type: 'credit' } satisfies ParentMessage);
            yield chunksOf(message, slabs, holds);
            break;
        }
      }
    } finally {
      await close();
    }
  }
  return { chunks, close };
}
