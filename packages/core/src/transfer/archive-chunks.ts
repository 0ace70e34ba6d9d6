import type { Worker } from 'node:worker_threads';
import type { ChunkerOptions } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { createTarStream } from '../tar/pack.js';
import { deserializeError } from '../worker/errors.js';
import { startWorker, type WorkerScript } from '../worker/script.js';
import { type ChunkWorkerData, chunksOf, type ParentMessage, type WorkerMessage } from './chunk-worker.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

export interface ArchiveChunksOptions {
  /** The worker thread to archive on; without one, archiving runs on the calling thread. */
  worker?: WorkerScript | undefined;
  chunking: ChunkerOptions;
  onWarning: (message: string) => void;
  /** Told when the worker could not start and archiving fell back to the main thread. */
  onFallback?: (why: string) => void;
  groupBytes?: number;
  credits?: number;
}

/**
 * The chunks of the tar archive of `items`: cutChunks(createTarStream(items)), on `opts.worker`
 * when given (see chunk-worker.ts), with the same chunks, hashes, warnings and errors. A worker
 * that cannot start (its script will not load, threads are unavailable) is not an error: the
 * archive is then made on the calling thread instead.
 */
export async function* archiveChunks(
  items: readonly ResolvedItem[],
  opts: ArchiveChunksOptions,
): AsyncGenerator<SourceChunk[], void, undefined> {
  const inThread = () => cutChunks(createTarStream(items, { onWarning: opts.onWarning }), opts.chunking);
  if (!opts.worker) {
    yield* inThread();
    return;
  }
  const data: ChunkWorkerData = {
    items,
    chunking: opts.chunking,
    groupBytes: opts.groupBytes ?? 1024 * 1024,
    credits: opts.credits ?? 8,
  };
  let worker: Worker;
  try {
    worker = startWorker(opts.worker, data);
  } catch (err) {
    opts.onFallback?.((err as Error).message);
    yield* inThread();
    return;
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

  let started = false;
  try {
    for (;;) {
      const message = inbox.shift();
      if (!message) {
        if (failure || exited) {
          const why = failure?.message ?? 'the archiving worker exited before it finished';
          if (started) throw failure ?? new Error(why);
          opts.onFallback?.(why);
          yield* inThread();
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
          yield chunksOf(message);
          break;
      }
    }
  } finally {
    await worker.terminate();
  }
}
