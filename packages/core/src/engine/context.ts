import { defaultCodec, type ZstdCodec } from '../format/codec.js';
import type { Layout } from '../layout/layout.js';
import type { Store } from '../store/store.js';

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
}

export function resolved(ctx: CacheContext): Required<CacheContext> {
  return {
    store: ctx.store,
    layout: ctx.layout,
    codec: ctx.codec ?? defaultCodec(),
    log: ctx.log ?? silentLogger,
    now: ctx.now ?? (() => new Date()),
  };
}
