// Races on the real S3: concurrent saves of one key (first write wins, exactly once), saves
// racing restores (a restore sees nothing or one complete entry), and the janitor racing both
// (never a partial or wrong restore). A fault proxy adds random short stalls so that requests of
// the racers interleave differently from run to run of the scenario, reproducibly per seed.
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { s3TestsSkipped } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RestoreResult, restoreCache } from '../../src/engine/restore.js';
import { type SaveOptions, type SaveResult, saveCache } from '../../src/engine/save.js';
import { S3CacheError } from '../../src/errors.js';
import type { Layout } from '../../src/layout/layout.js';
import { collect, type Store } from '../../src/store/store.js';
import {
  auditEntry,
  digest,
  expectNoWrongBytes,
  type FaultLab,
  MAIN,
  makeTree,
  QUICK,
  REPOSITORY,
  startFaultLab,
  tempDir,
  VERSION,
} from './support.js';

const WRITERS = 6;
/** Random short stalls on a third of the requests: shuffles the racers' interleaving. */
const JITTER = { rules: [{ probability: 0.33, fault: { kind: 'stall' as const, ms: 150 } }] };

describe.skipIf(s3TestsSkipped())('races on the real S3', () => {
  let lab: FaultLab;
  const trees: string[] = [];
  let digests: string[] = [];

  beforeAll(async () => {
    lab = await startFaultLab(JITTER, 'races');
    for (let i = 0; i < WRITERS; i++)
      trees.push(await makeTree(await tempDir(`race-w${i}`), 100 + i, 8, 48 * 1024));
    digests = await Promise.all(trees.map(async (t) => JSON.stringify(await digest(join(t, 'cache')))));
  });
  afterAll(async () => {
    await lab?.close();
    for (const dir of trees) await fs.rm(dir, { recursive: true, force: true });
  });

  const save = (store: Store, key: string, writer: number, extra: Partial<SaveOptions> = {}) =>
    saveCache(lab.ctx(store), {
      repository: REPOSITORY,
      scope: MAIN,
      version: VERSION,
      key,
      paths: ['cache'],
      workspace: trees[writer] as string,
      ...extra,
    });

  const restore = async (store: Store, key: string, label: string) => {
    const target = await tempDir(`race-r-${label}`);
    try {
      const result = await restoreCache(lab.ctx(store), {
        repository: REPOSITORY,
        scopes: [MAIN],
        version: VERSION,
        primaryKey: key,
        restoreKeys: [],
        paths: ['cache'],
        workspace: target,
        timeoutMs: 30_000,
      }).catch((err: unknown) => err);
      return { result, tree: await digest(join(target, 'cache')), target };
    } finally {
      // the caller inspects `tree` (already read); the directory is no longer needed
      await fs.rm(target, { recursive: true, force: true });
    }
  };

  /** A hit equals exactly one writer's tree; a miss or typed error leaves nothing foreign. */
  const judge = (
    outcome: { result: unknown; tree: Record<string, string> },
    counts: Record<string, number>,
  ) => {
    const { result, tree } = outcome;
    if (result instanceof Error) {
      expect(result, String(result)).toBeInstanceOf(S3CacheError);
      // Members restored before the failure are verified ones: each file is some writer's file.
      for (const [path, what] of Object.entries(tree)) {
        if (what === 'dir') continue;
        expect(
          trees.some((_t, i) => (JSON.parse(digests[i] as string) as Record<string, string>)[path] === what),
          `foreign bytes at ${path}`,
        ).toBe(true);
      }
      counts[result.name] = (counts[result.name] ?? 0) + 1;
      return;
    }
    const r = result as RestoreResult;
    if (r.matchedKey === undefined) {
      expect(Object.keys(tree)).toEqual([]);
      counts.miss = (counts.miss ?? 0) + 1;
      return;
    }
    expect(digests, 'a hit restores exactly one writer’s tree').toContain(JSON.stringify(tree));
    counts.hit = (counts.hit ?? 0) + 1;
  };

  it(`${WRITERS} concurrent saves of one key without deltas: exactly one wins, the rest report exists`, async () => {
    const key = 'race-plain';
    const results = await Promise.all(
      trees.map((_t, i) => save(lab.faulty(QUICK), key, i, { useDeltas: false })),
    );
    const outcomes = results.map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['exists', 'exists', 'exists', 'exists', 'exists', 'saved']);
    const winner = results.findIndex((r) => r.outcome === 'saved');
    expect((await auditEntry(lab, { scope: MAIN, key }, trees[winner] as string)).state).toBe('complete');
    // The losers removed their packs: one pack is left, the winner's.
    const entryDir = lab.layout.entryDir({ repository: REPOSITORY, scope: MAIN, version: VERSION, key });
    const packs = (await collect(lab.direct.list(entryDir))).filter((o) => o.key.endsWith('.pack'));
    expect(packs).toHaveLength(1);
  });

  it(`${WRITERS} concurrent saves of one key with deltas: one root, and the entry restores one writer's tree`, async () => {
    const key = 'race-deltas';
    const results = await Promise.all(trees.map((_t, i) => save(lab.faulty(QUICK), key, i)));
    const saved = results.filter((r) => r.outcome === 'saved');
    expect(saved).toHaveLength(1);
    for (const r of results)
      expect(['saved', 'exists', 'delta', 'rebased', 'unchanged']).toContain(r.outcome);
    expect((await auditEntry(lab, { scope: MAIN, key }, trees)).state).toBe('complete');
  });

  it('saves racing restores: every restore is a miss or exactly one complete entry', async () => {
    const key = 'race-save-restore';
    const counts: Record<string, number> = {};
    let saving = true;
    const savers = Promise.all(
      trees.map(async (_t, i) => {
        await sleep(i * 40);
        return save(lab.faulty(QUICK), key, i, { useDeltas: i % 2 === 0 });
      }),
    ).finally(() => {
      saving = false;
    });
    const restorers = Array.from({ length: 3 }, async (_x, r) => {
      let round = 0;
      do {
        judge(await restore(lab.faulty(QUICK), key, `${r}-${round++}`), counts);
      } while (saving);
      judge(await restore(lab.faulty(QUICK), key, `${r}-final`), counts);
    });
    const [results] = await Promise.all([savers, ...restorers]);
    expect((results as SaveResult[]).filter((s) => s.outcome === 'saved')).toHaveLength(1);
    expect(counts.hit ?? 0, JSON.stringify(counts)).toBeGreaterThanOrEqual(3);
    expect((await auditEntry(lab, { scope: MAIN, key }, trees)).state).toBe('complete');
  });

  it('the janitor racing saves and restores: never a partial or wrong restore', async () => {
    let janitor: JanitorModule | undefined;
    try {
      janitor = await loadJanitor();
    } catch (err) {
      // packages/janitor-lambda is optional for core; without it there is nothing to race.
      console.warn(`janitor race skipped: ${(err as Error).message}`);
      return;
    }
    const counts: Record<string, number> = {};
    const keys = ['jr-a', 'jr-b', 'jr-c'];
    const deadline = Date.now() + 12_000;
    let janitorRuns = 0;
    let deleted = 0;
    const savers = keys.map(async (key, k) => {
      let round = 0;
      while (Date.now() < deadline) {
        const writer = (k + round++) % WRITERS;
        await save(lab.faulty(QUICK), key, writer, { useDeltas: round % 2 === 0 }).catch((err: unknown) => {
          expect(err, String(err)).toBeInstanceOf(S3CacheError);
        });
      }
    });
    const restorers = keys.map(async (key, k) => {
      let round = 0;
      while (Date.now() < deadline) judge(await restore(lab.faulty(QUICK), key, `j${k}-${round++}`), counts);
    });
    const sweeper = (async () => {
      while (Date.now() < deadline) {
        // Evicts every entry idle for more than 2 s; the grace period (3 s) protects uploads in flight.
        const run = await (janitor as JanitorModule).runJanitor({
          store: lab.faulty(QUICK),
          layout: lab.layout,
          policy: { maxIdleDays: 2 / 86_400, pullRequestIdleDays: 2 / 86_400, graceMinutes: 0.05 },
          metrics: false,
          writeReport: false,
        });
        janitorRuns++;
        deleted += run.execution?.objectsDeleted ?? 0;
        await sleep(300);
      }
    })();
    await Promise.all([...savers, ...restorers, sweeper]);
    console.info(
      `janitor race: ${janitorRuns} janitor runs, ${deleted} objects deleted, restores ${JSON.stringify(counts)}`,
    );
    expect(janitorRuns).toBeGreaterThan(0);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    // Quiet again: each key is a complete entry or none.
    for (const key of keys) await auditEntry(lab, { scope: MAIN, key }, trees);
  });

  // An update left over from a deleted generation (written while its entry was being deleted)
  // must not shadow the fresh root that the next save of the key writes.
  it('a stale update from a deleted generation never shadows a newer save', async () => {
    const key = 'race-stale-update';
    const store = lab.direct;
    const entryDir = lab.layout.entryDir({ repository: REPOSITORY, scope: MAIN, version: VERSION, key });
    expect((await save(store, key, 0)).outcome).toBe('saved');
    // A rebase generation (a new base pack of its own), as a save racing the deletion writes it.
    expect((await save(store, key, 1, { rebaseRatio: -1 })).outcome).toBe('rebased');
    const before = await collect(store.list(entryDir));
    const rootPack = await rootPackKeys(store, lab.layout, entryDir);
    // The deletion as deleteEntry does it, minus the objects its listing did not see yet.
    await store.deleteObjects([
      { key: lab.layout.manifestKey(entryDir) },
      ...rootPack.map((k) => ({ key: k })),
    ]);
    expect(before.length).toBeGreaterThan((await collect(store.list(entryDir))).length);
    // The next save starts a new entry: writer 2's tree.
    expect((await save(store, key, 2)).outcome).toBe('saved');
    const { result, tree } = await restore(store, key, 'stale');
    expect((result as RestoreResult).cacheHit).toBe(true);
    expect(JSON.stringify(tree), 'the newest save is what restores').toBe(digests[2]);
  });

  it('a failed restore never leaves foreign bytes (sanity of the judge)', async () => {
    const target = await tempDir('race-judge');
    await fs.mkdir(join(target, 'cache'), { recursive: true });
    await expectNoWrongBytes(join(target, 'cache'), join(trees[0] as string, 'cache'));
    await fs.rm(target, { recursive: true, force: true });
  });
});

async function rootPackKeys(store: Store, layout: Layout, entryDir: string): Promise<string[]> {
  const { parseManifest } = await import('../../src/format/manifest.js');
  const manifest = parseManifest(await store.getObject(layout.manifestKey(entryDir)));
  return manifest.packs.map((p) => layout.packKey(entryDir, p.id));
}

interface JanitorModule {
  runJanitor(options: {
    store: Store;
    layout: Layout;
    policy: Record<string, unknown>;
    metrics: false;
    writeReport: false;
  }): Promise<{ execution?: { objectsDeleted: number } | undefined }>;
}

/**
 * packages/janitor-lambda depends on core, so core cannot depend on it: loaded by path at run
 * time (its own imports resolve from its package), typed by the little used here.
 */
async function loadJanitor(): Promise<JanitorModule> {
  const url = pathToFileURL(join(import.meta.dirname, '../../../janitor-lambda/src/index.ts')).href;
  const mod = (await import(/* @vite-ignore */ url)) as Partial<JanitorModule>;
  if (typeof mod.runJanitor !== 'function') throw new Error('@s3cache/janitor-lambda has no runJanitor');
  return mod as JanitorModule;
}
