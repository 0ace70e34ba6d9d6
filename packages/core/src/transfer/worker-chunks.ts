import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkerOptions } from '../format/chunker.js';
import type { ResolvedItem } from '../paths/resolve.js';
import { createTarStream } from '../tar/pack.js';
import {
  type ChunkWorkerData,
  chunksOf,
  deserializeError,
  type ParentMessage,
  type WorkerMessage,
} from './chunk-worker.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

/** How to start the archiving worker. */
export interface ChunkWorkerScript {
  /** The worker's module. */
  url: URL;
  /**
   * For a TypeScript module (this repository's tests and benchmarks, run from source): the URL of
   * tsx's ESM API, registered in the worker before the module loads. Worker `execArgv` cannot
   * carry `--import tsx` on Node 20.
   */
  tsx?: string;
}

/**
 * The worker script beside this module: `chunk-worker-entry.js` in a build, or the TypeScript
 * source through tsx. Undefined when neither is there, as in a bundle (which ships its own:
 * see the action's dist/chunk-worker.mjs): archiving then stays on the main thread.
 */
export function defaultChunkWorkerScript(): ChunkWorkerScript | undefined {
  const here = import.meta.url;
  if (here.endsWith('.js')) return scriptAt(new URL('./chunk-worker-entry.js', here));
  if (!here.endsWith('.ts')) return undefined;
  const tsx = tsxApi(here);
  const script = tsx ? scriptAt(new URL('./chunk-worker-entry.ts', here)) : undefined;
  return script && tsx ? { ...script, tsx } : undefined;
}

/** `url` as a worker script, if the file is there. */
export function scriptAt(url: URL): ChunkWorkerScript | undefined {
  return existsSync(fileURLToPath(url)) ? { url } : undefined;
}

function tsxApi(from: string): string | undefined {
  try {
    const root = path.dirname(createRequire(from).resolve('tsx/package.json'));
    const api = path.join(root, 'dist', 'esm', 'api', 'index.mjs');
    return existsSync(api) ? pathToFileURL(api).href : undefined;
  } catch {
    return undefined;
  }
}

function startWorker(script: ChunkWorkerScript, workerData: ChunkWorkerData): Worker {
  if (!script.tsx) return new Worker(script.url, { workerData });
  const code = `import(${JSON.stringify(script.tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(script.url.href)}); });`;
  return new Worker(code, { eval: true, workerData, execArgv: ['--conditions=source'] });
}

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
  script: ChunkWorkerScript,
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
