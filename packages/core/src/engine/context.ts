import { defaultCodec, type ZstdCodec } from '../format/codec.js';
import type { Layout } from '../layout/layout.js';
import type { Store } from '../store/store.js';
import type { ChunkWorkerScript } from '../transfer/worker-chunks.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, debug() {} };

/** What every engine call needs: where objects live, how keys map to them, and a codec. */
export interface CacheContext {
  store: Store;
  layout: Layout;
  codec?: ZstdCodec;
  log?: Logger;
  /** Clock, injectable for tests. */
  now?: () => Date;
  /**
   * Archive (read, chunk and hash) on a worker thread started from this script, leaving the
   * main thread to compress and upload: see defaultChunkWorkerScript. Default: on the main thread.
   */
  chunkWorker?: ChunkWorkerScript | undefined;
}

export function resolved(ctx: CacheContext): Required<Omit<CacheContext, 'chunkWorker'>> {
  return {
    store: ctx.store,
    layout: ctx.layout,
    codec: ctx.codec ?? defaultCodec(),
    log: ctx.log ?? silentLogger,
    now: ctx.now ?? (() => new Date()),
  };
}
