import type { Worker } from 'node:worker_threads';
import type { ChunkerOptions } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { createTarStream } from '../tar/pack.js';
import { deserializeError } from '../worker/errors.js';
import { startWorker, type WorkerScript } from '../worker/script.js';
import { type ChunkWorkerData, chunksOf, type ParentMessage, type WorkerMessage } from './chunk-worker.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

export interface WorkerChunksOptions {
  chunking: ChunkerOptions;
  onWarning: (message: string) => void;
  /** Told when the worker could not start and archiving fell back to the main thread. */
  onFallback?: (why: string) => void;
  groupBytes?: number;
  credits?: number;
}

/**
 * The chunks of the tar archive of `items`, made on a worker thread (see chunk-worker.ts): the
 * same chunks, hashes and warnings, and the same errors, as cutChunks(createTarStream(items))
 * gives on the main thread. A worker that cannot start (its script will not load, threads are
 * unavailable) is not an error: the archive is then made on the main thread instead.
 */
export async function* chunksInWorker(
  items: readonly ResolvedItem[],
  script: WorkerScript,
  opts: WorkerChunksOptions,
): AsyncGenerator<SourceChunk[], void, undefined> {
  const data: ChunkWorkerData = {
    items,
    chunking: opts.chunking,
    groupBytes: opts.groupBytes ?? 1024 * 1024,
    credits: opts.credits ?? 8,
  };
  let worker: Worker;
  try {
    worker = startWorker(script, data);
  } catch (err) {
    opts.onFallback?.((err as Error).message);
    yield* cutChunks(createTarStream(items, { onWarning: opts.onWarning }), opts.chunking);
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
          yield* cutChunks(createTarStream(items, { onWarning: opts.onWarning }), opts.chunking);
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
