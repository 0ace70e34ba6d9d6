// runJanitor end to end against both Store implementations (a directory, and the real S3 of the
// test lab): entries saved by core's saveCache, times set per object, then exactly the expected
// objects must remain, the survivors must still restore, and a second run must find nothing.
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { type CacheContext, collect, Layout, restoreCache } from '@s3cache/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Plan, type PolicyInput, runJanitor } from '../src/index.js';
import { harnesses, type StoreHarness } from './support/stores.js';
import { makeTree, save, snapshot, touchTree, VERSION } from './support/trees.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MAIN = 'refs/heads/main';
const PR = 'refs/pull/12/merge';

function plannedKeys(plan: Plan): string[] {
  return plan.items
    .flatMap((i) => [...i.objects.map((o) => o.key), ...(i.guard ? [i.guard.key] : [])])
    .sort();
}

describe.each(harnesses)('runJanitor on the $name', ({ create, skip }) => {
  let h: StoreHarness;
  let work: string;
  beforeEach(async () => {
    if (skip) return;
    h = await create();
    work = await fs.mkdtemp(join(tmpdir(), 's3cache-janitor-ws-'));
  });
  afterEach(async () => {
    await h?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'applies every policy, leaves exactly the expected objects, and a second run finds nothing',
    async () => {
      const layout = new Layout('ci');
      const ctx: CacheContext = { store: h.store, layout };
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const at = (ms: number) => new Date(now.getTime() - ms);
      const dir = (repository: string, scope: string, key: string) =>
        layout.entryDir({ repository, scope, version: VERSION, key });
      const marker = (d: string) => layout.markerKeyForEntryDir(d);
      const keysUnder = async (prefix: string) => collect(h.store.list(prefix));
      const ageAll = async (prefix: string, when: Date) => {
        for (const o of await keysUnder(prefix)) await h.age(o.key, when);
      };
      const touch = async (d: string, when: Date) => {
        await h.store.putObject(marker(d), Buffer.from('{}\n'), { tags: { type: 'access-marker' } });
        await h.age(marker(d), when);
      };
      const ws = async (name: string) => {
        const path = join(work, name);
        await makeTree(path);
        return path;
      };

      // Entries of acme/app (branch and pull-request scopes) and other/lib.
      for (const key of ['deps-a', 'deps-b', 'deps-c', 'stale']) {
        expect((await save(ctx, await ws(key), 'acme/app', MAIN, key)).outcome).toBe('saved');
      }
      await save(ctx, await ws('pr'), 'acme/app', PR, 'pr-old');
      await save(ctx, await ws('lib-1'), 'other/lib', MAIN, 'lib-1');
      await save(ctx, await ws('lib-2'), 'other/lib', MAIN, 'lib-2');
      // A hot key saved three times: root + two delta generations.
      const growWs = await ws('grow');
      expect((await save(ctx, growWs, 'acme/app', MAIN, 'grow')).outcome).toBe('saved');
      await touchTree(growWs, 0);
      expect((await save(ctx, growWs, 'acme/app', MAIN, 'grow')).outcome).toBe('delta');
      await touchTree(growWs, 1);
      expect((await save(ctx, growWs, 'acme/app', MAIN, 'grow')).outcome).toBe('delta');
      // Orphans: a pack without manifest, a marker without entry, and a fresh pack (a save in flight).
      const ghost = `${dir('acme/app', MAIN, 'ghost')}packs/000000000000001-aaaaaaaaaaaa.pack`;
      const newborn = `${dir('acme/app', MAIN, 'newborn')}packs/000000000000002-bbbbbbbbbbbb.pack`;
      await h.store.putObject(ghost, Buffer.alloc(777, 1), { tags: { type: 'base' } });
      await h.store.putObject(newborn, Buffer.alloc(555, 2), { tags: { type: 'base' } });
      const vanished = dir('acme/app', MAIN, 'vanished');
      await h.store.putObject(marker(vanished), Buffer.from('{}\n'));

      // Times.
      const d = {
        a: dir('acme/app', MAIN, 'deps-a'),
        b: dir('acme/app', MAIN, 'deps-b'),
        c: dir('acme/app', MAIN, 'deps-c'),
        stale: dir('acme/app', MAIN, 'stale'),
        pr: dir('acme/app', PR, 'pr-old'),
        grow: dir('acme/app', MAIN, 'grow'),
        lib1: dir('other/lib', MAIN, 'lib-1'),
        lib2: dir('other/lib', MAIN, 'lib-2'),
      };
      for (const entry of [d.a, d.b, d.c, d.lib1, d.lib2]) await ageAll(entry, at(6 * DAY));
      await touch(d.a, at(5 * DAY));
      await touch(d.b, at(1.5 * DAY));
      await touch(d.c, at(10 * MINUTE)); // in use: within the grace period
      await touch(d.lib1, at(DAY));
      await ageAll(d.stale, at(10 * DAY)); // never restored, saved 10 days ago: idle
      await ageAll(d.pr, at(3 * DAY));
      await touch(d.pr, at(2 * DAY)); // pull request, idle for 2 days: pr-idle
      await h.age(ghost, at(2 * HOUR));
      await h.age(marker(vanished), at(2 * HOUR));
      // grow: root and base 3 days ago, then one generation per day; pack ids equal update names.
      await ageAll(d.grow, at(3 * DAY));
      const updates = (await keysUnder(`${d.grow}updates/`)).map((o) => o.key).sort();
      expect(updates).toHaveLength(2);
      const names = updates.map((k) => k.slice(k.lastIndexOf('/') + 1, -'.json'.length));
      for (const [i, name] of names.entries()) {
        const when = at((2 - i) * DAY);
        await h.age(layout.updateKey(d.grow, name), when);
        await h.age(layout.packKey(d.grow, name), when);
      }

      const sizeOf = new Map((await keysUnder(layout.prefix)).map((o) => [o.key, o.size]));
      const allUnder = async (prefix: string) => (await keysUnder(prefix)).map((o) => o.key);
      const expectedBeforeCap = [
        layout.updateKey(d.grow, names[0] as string),
        layout.packKey(d.grow, names[0] as string),
        ...(await allUnder(d.pr)),
        marker(d.pr),
        ...(await allUnder(d.stale)),
        ghost,
        marker(vanished),
      ];
      const evictedByCap = [...(await allUnder(d.a)), marker(d.a)];
      const expected = [...expectedBeforeCap, ...evictedByCap].sort();
      const bytes = (keys: string[]) => keys.reduce((n, k) => n + (sizeOf.get(k) ?? Number.NaN), 0);
      const appBytes = bytes([...sizeOf.keys()].filter((k) => k.startsWith('ci/acme/app/')));
      // Exactly deps-a (the least recently used) must go to get under the cap.
      const policy: PolicyInput = {
        repositories: { 'acme/app': { capBytes: appBytes - bytes(expectedBeforeCap) - bytes(evictedByCap) } },
        lowWaterRatio: 1,
      };

      const before = (await allUnder(layout.prefix)).sort();
      const emitted: string[] = [];
      const common = { store: h.store, layout, policy, now, emit: (line: string) => emitted.push(line) };
      const prefixLister = h.lister ? { prefixLister: h.lister } : {};

      // Dry run: the plan, nothing else.
      const dry = await runJanitor({ ...common, ...prefixLister, dryRun: true });
      expect(plannedKeys(dry.plan)).toEqual(expected);
      expect(dry.plan.items.map((i) => i.reason).sort()).toEqual(
        ['idle', 'orphan-marker', 'orphan-pack', 'pr-idle', 'repo-cap', 'superseded'].sort(),
      );
      expect(dry.plan.keptInGrace).toBe(0);
      expect((await allUnder(layout.prefix)).sort()).toEqual(before);
      expect(emitted).toEqual([]);
      expect(dry.report.dryRun).toBe(true);
      expect(dry.report.reportKey).toBeUndefined();

      // The real run.
      const run = await runJanitor({ ...common, ...prefixLister });
      const remaining = (await allUnder(layout.prefix)).filter((k) => !k.startsWith('ci/_s3cache/')).sort();
      expect(remaining).toEqual(before.filter((k) => !expected.includes(k)));
      expect(remaining).toContain(newborn);
      expect(remaining).toContain(layout.manifestKey(d.grow));
      expect(run.report.totals).toMatchObject({
        objectsDeleted: expected.length,
        bytesDeleted: bytes(expected),
        bytesAfter: bytes(remaining),
        entriesBefore: 8,
        entriesAfter: 5,
        entriesDeleted: 3,
        failures: 0,
      });
      expect(run.report.byReason.superseded).toMatchObject({ objects: 2, entries: 0 });
      expect(run.report.byReason['pr-idle'].entries).toBe(1);
      expect(run.report.byReason.idle.entries).toBe(1);
      expect(run.report.byReason['repo-cap'].entries).toBe(1);
      expect(run.report.byReason['orphan-pack'].objects).toBe(1);
      expect(run.report.byReason['orphan-marker'].objects).toBe(1);
      expect(run.report.repositories.map((r) => r.repository)).toEqual(['acme/app', 'other/lib']);
      expect(run.report.listing.repositoryPrefixes).toBe(h.lister ? 2 : 0);

      // The report object, tagged type=report.
      const reportKey = run.report.reportKey as string;
      expect(reportKey).toMatch(/^ci\/_s3cache\/reports\/\d{4}-\d\d-\d\dT.*Z\.json$/);
      const stored = JSON.parse((await h.store.getObject(reportKey)).toString('utf8'));
      expect(stored).toMatchObject({
        format: 's3cache-janitor-report/1',
        totals: { objectsDeleted: expected.length },
      });
      if (h.client && h.bucket) {
        const tags = await h.client.send(new GetObjectTaggingCommand({ Bucket: h.bucket, Key: reportKey }));
        expect(tags.TagSet).toEqual([{ Key: 'type', Value: 'report' }]);
      }
      // Embedded metric format.
      const metrics = emitted.map((line) => JSON.parse(line));
      expect(metrics[0]._aws.CloudWatchMetrics[0].Namespace).toBe('S3Cache/Janitor');
      expect(metrics[0]).toMatchObject({ BytesBefore: bytes(before), ObjectsDeleted: expected.length });
      expect(metrics.filter((m) => m.Reason).map((m) => m.Reason)).toEqual(
        expect.arrayContaining(['superseded', 'idle', 'pr-idle', 'repo-cap', 'orphan-pack', 'orphan-marker']),
      );

      // A second run has nothing left to do.
      const again = await runJanitor({ ...common, ...prefixLister, metrics: false });
      expect(again.plan.items).toEqual([]);
      expect(again.report.totals.objectsDeleted).toBe(0);

      // Survivors still restore to their newest content (superseded collection broke nothing).
      const restored = join(work, 'restored-grow');
      const result = await restoreCache(ctx, {
        repository: 'acme/app',
        scopes: [MAIN],
        version: VERSION,
        primaryKey: 'grow',
        restoreKeys: [],
        paths: ['cache'],
        workspace: restored,
      });
      expect(result).toMatchObject({ cacheHit: true, generation: names[1] });
      expect(await snapshot(join(restored, 'cache'))).toEqual(await snapshot(join(growWs, 'cache')));
    },
    180_000,
  );

  it.skipIf(skip)(
    'keeps the newest entries when evicting by least recent use on real LastModified times',
    async () => {
      // No backdating: entries are saved and touched in order, seconds apart, and the janitor's
      // clock is set far in the future, so every entry is settled and only the order matters.
      const layout = new Layout();
      const ctx: CacheContext = { store: h.store, layout };
      const keys = ['first', 'second', 'third', 'fourth'];
      for (const key of keys) {
        await makeTree(join(work, key));
        await save(ctx, join(work, key), 'acme/app', MAIN, key);
      }
      // Restore order decides recency: second, first, fourth, third (oldest to newest).
      for (const key of ['second', 'first', 'fourth', 'third']) {
        await new Promise((r) => setTimeout(r, 1100));
        const dirKey = layout.entryDir({ repository: 'acme/app', scope: MAIN, version: VERSION, key });
        await h.store.putObject(layout.markerKeyForEntryDir(dirKey), Buffer.from('{}\n'));
      }
      const listing = await collect(h.store.list(''));
      const total = listing.reduce((n, o) => n + o.size, 0);
      const sizeOfEntry = (key: string) => {
        const dirKey = layout.entryDir({ repository: 'acme/app', scope: MAIN, version: VERSION, key });
        const m = layout.markerKeyForEntryDir(dirKey);
        return listing.filter((o) => o.key.startsWith(dirKey) || o.key === m).reduce((n, o) => n + o.size, 0);
      };
      const run = await runJanitor({
        store: h.store,
        layout,
        ...(h.lister ? { prefixLister: h.lister } : {}),
        // Two entries must go: the cap sits exactly at the two newest.
        policy: {
          defaultRepositoryCapBytes: total - sizeOfEntry('second') - sizeOfEntry('first'),
          lowWaterRatio: 1,
          maxIdleDays: 3650,
        },
        now: new Date(Date.now() + 30 * DAY),
        metrics: false,
      });
      expect(run.plan.items.map((i) => [i.reason, i.key])).toEqual([
        ['repo-cap', 'second'],
        ['repo-cap', 'first'],
      ]);
      const left = (await collect(h.store.list('acme/app/heads/'))).map((o) => layout.parse(o.key).key);
      expect([...new Set(left)].sort()).toEqual(['fourth', 'third']);
    },
    120_000,
  );

  it.skipIf(skip)(
    'two overlapping runs end where one run would, without failures',
    async () => {
      const layout = new Layout();
      const ctx: CacheContext = { store: h.store, layout };
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const dir = (key: string) =>
        layout.entryDir({ repository: 'acme/app', scope: MAIN, version: VERSION, key });
      const age = async (prefix: string, ms: number) => {
        for (const o of await collect(h.store.list(prefix))) await h.age(o.key, new Date(now.getTime() - ms));
      };
      for (const key of ['old-1', 'old-2', 'old-3', 'keep']) {
        await makeTree(join(work, key));
        await save(ctx, join(work, key), 'acme/app', MAIN, key);
      }
      const growWs = join(work, 'grow');
      await makeTree(growWs);
      await save(ctx, growWs, 'acme/app', MAIN, 'grow');
      await touchTree(growWs, 0);
      await save(ctx, growWs, 'acme/app', MAIN, 'grow');
      await touchTree(growWs, 1);
      await save(ctx, growWs, 'acme/app', MAIN, 'grow');
      for (const key of ['old-1', 'old-2', 'old-3']) await age(dir(key), 10 * DAY);
      await age(dir('grow'), 2 * DAY);
      const updates = (await collect(h.store.list(`${dir('grow')}updates/`))).map((o) => o.key).sort();
      // The newest generation is the youngest: the older update and its delta are superseded.
      await h.age(updates[1] as string, new Date(now.getTime() - DAY));

      const options = {
        store: h.store,
        layout,
        ...(h.lister ? { prefixLister: h.lister } : {}),
        now,
        metrics: false as const,
        writeReport: false,
      };
      const single = await runJanitor({ ...options, dryRun: true });
      const expected = plannedKeys(single.plan);
      expect(expected.length).toBeGreaterThan(6);
      const before = (await collect(h.store.list(''))).map((o) => o.key).sort();
      const [a, b] = await Promise.all([runJanitor(options), runJanitor(options)]);
      expect(a.report.totals.failures + b.report.totals.failures).toBe(0);
      const after = (await collect(h.store.list(''))).map((o) => o.key).sort();
      expect(after).toEqual(before.filter((k) => !expected.includes(k)));
      expect(after).toContain(layout.manifestKey(dir('grow')));
      expect(after).toContain(layout.manifestKey(dir('keep')));
    },
    120_000,
  );
});
