// A restore racing a janitor run that deletes the very entry it restores must end as a verified
// hit (byte-identical files) or a clean miss / typed error: never a "hit" with wrong content.
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CacheContext, Layout, restoreCache, S3CacheError, type Store } from '@s3cache/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runJanitor } from '../src/index.js';
import { harnesses, type StoreHarness } from './support/stores.js';
import { makeTree, save, snapshot, VERSION } from './support/trees.js';

const MAIN = 'refs/heads/main';
const DAY = 86_400_000;

/** Network-like latency on reads, so deletes land while a restore is mid-download. */
function slowReads(store: Store, ms: number): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'getRange' || prop === 'getObject') {
        return async (...args: unknown[]) => {
          await sleep(ms);
          return (value as (...a: unknown[]) => Promise<Buffer>).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe.each(harnesses)('restore racing the janitor on the $name', ({ create, skip }) => {
  let h: StoreHarness;
  let work: string;
  beforeEach(async () => {
    if (skip) return;
    h = await create();
    work = await fs.mkdtemp(join(tmpdir(), 's3cache-race-'));
  });
  afterEach(async () => {
    await h?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'ends as a byte-identical hit, a miss, or one of core’s typed errors',
    async () => {
      const layout = new Layout();
      const source = join(work, 'source');
      await makeTree(source, 24, 16 * 1024);
      const expected = await snapshot(join(source, 'cache'));
      const restoreCtx: CacheContext = { store: slowReads(h.store, h.lister ? 10 : 2), layout };
      const outcomes: Record<string, number> = {};
      const count = (name: string) => {
        outcomes[name] = (outcomes[name] ?? 0) + 1;
      };
      const iterations = 12;
      const half = iterations / 2;
      const janitorOptions = {
        store: h.store,
        layout,
        ...(h.lister ? { prefixLister: h.lister } : {}),
        policy: { maxIdleDays: 0, graceMinutes: 0 },
        metrics: false as const,
        writeReport: false,
      };
      // How long a janitor run takes here: restores are started across that window, from
      // before it lists to after it has deleted everything.
      await save({ store: h.store, layout }, source, 'acme/app', MAIN, 'race');
      const t0 = performance.now();
      await runJanitor({ ...janitorOptions, now: new Date(Date.now() + 365 * DAY) });
      const window = performance.now() - t0;
      for (let i = 0; i < iterations; i++) {
        // Re-create the entry (the previous janitor run usually deleted it).
        await save({ store: h.store, layout }, source, 'acme/app', MAIN, 'race');
        const dest = join(work, `dest-${i}`);
        const restore = (async () => {
          // Second half: the restore starts while the janitor is already running.
          if (i >= half) await sleep((window * (i - half)) / half);
          return restoreCache(restoreCtx, {
            repository: 'acme/app',
            scopes: [MAIN],
            version: VERSION,
            primaryKey: 'race',
            restoreKeys: [],
            paths: ['cache'],
            workspace: dest,
            concurrency: 2,
          });
        })();
        const janitor = (async () => {
          // First half: the janitor starts while the restore is already running.
          if (i < half) await sleep((window * i) / half);
          return runJanitor({ ...janitorOptions, now: new Date(Date.now() + 365 * DAY) });
        })();
        const [restored, cleaned] = await Promise.allSettled([restore, janitor]);
        expect(cleaned.status).toBe('fulfilled');
        if (restored.status === 'fulfilled') {
          if (restored.value.matchedKey === undefined) {
            count('miss');
          } else {
            expect(restored.value.matchedKey).toBe('race');
            expect(await snapshot(join(dest, 'cache'))).toEqual(expected);
            count('verified hit');
          }
        } else {
          expect(restored.reason).toBeInstanceOf(S3CacheError);
          count((restored.reason as Error).name);
        }
      }
      console.info(`race outcomes (${h.lister ? 'S3' : 'directory'}):`, JSON.stringify(outcomes));
      expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(iterations);
    },
    180_000,
  );
});
