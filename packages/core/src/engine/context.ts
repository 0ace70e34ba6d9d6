import { defaultCodec, type ZstdCodec } from '../format/codec.js';
import type { Layout } from '../layout/layout.js';
import type { Store } from '../store/store.js';
import type { WorkerScript } from '../worker/script.js';

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
   * Saves archive (read, chunk and hash) on a worker thread started from this script while the
   * main thread compresses and uploads: see defaultWorkerScript. Default: on the main thread.
   */
  worker?: WorkerScript | undefined;
}

export function resolved(ctx: CacheContext): Required<Omit<CacheContext, 'worker'>> {
  return {
    store: ctx.store,
    layout: ctx.layout,
    codec: ctx.codec ?? defaultCodec(),
    log: ctx.log ?? silentLogger,
    now: ctx.now ?? (() => new Date()),
  };
}
