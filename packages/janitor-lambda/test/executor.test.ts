import { describe, expect, it } from 'vitest';
import { createPlan, executePlan, type Plan, parsePolicy } from '../src/index.js';
import { ago, DAY, type EntrySpec, fixture, HOUR, keysOf, NOW, seedMemory } from './support/fixtures.js';
import { MemoryStore } from './support/memory-store.js';

const fast = { baseDelayMs: 1, maxDelayMs: 2 };

async function setup(specs: EntrySpec[], options: { conditional?: boolean; policy?: object } = {}) {
  const store = new MemoryStore(options.conditional ?? true);
  const f = fixture(specs);
  const inventory = await seedMemory(store, f);
  const plan = createPlan({ inventory, policy: parsePolicy(options.policy ?? {}), now: NOW });
  return { store, plan, inventory };
}

const idle = (
  key: string,
  { noMarker, ...extra }: Partial<EntrySpec> & { noMarker?: boolean } = {},
): EntrySpec => ({
  key,
  at: ago(10 * DAY),
  packs: [{ id: 'p', size: 10 }],
  ...(noMarker ? {} : { marker: ago(9 * DAY) }),
  ...extra,
});
const fresh = (key: string): EntrySpec => ({
  key,
  at: ago(DAY),
  packs: [{ id: 'p', size: 10 }],
  marker: ago(HOUR * 2),
});

function callIndex(store: MemoryStore, key: string): number {
  return store.deleteCalls.findIndex((c) => c.keys.includes(key));
}

describe('executePlan', () => {
  it('deletes exactly what the plan says and tallies it', async () => {
    const sup = {
      key: 'sup',
      at: ago(3 * DAY),
      marker: ago(2 * HOUR),
      rootPacks: ['b'],
      packs: [
        { id: 'b', size: 10 },
        { id: 'old', size: 7 },
      ],
    };
    const { store, plan } = await setup([idle('a'), fresh('b'), sup]);
    const before = store.keys();
    const result = await executePlan(plan, { store, ...fast });
    const planned = new Set(
      plan.items.flatMap((i) => [...i.objects.map((o) => o.key), ...(i.guard ? [i.guard.key] : [])]),
    );
    expect(store.keys()).toEqual(before.filter((k) => !planned.has(k)));
    expect(store.keys()).toContain(keysOf(sup).root);
    expect(result).toMatchObject({
      dryRun: false,
      objectsDeleted: 4,
      bytesDeleted: 10 + 7,
      entriesDeleted: 1,
      entriesKept: 0,
      failureCount: 0,
    });
    expect(result.byReason.idle).toEqual({ objects: 3, bytes: 10, entries: 1 });
    expect(result.byReason.superseded).toEqual({ objects: 1, bytes: 7, entries: 0 });
    expect(result.byRepository['acme/app']).toEqual({ objects: 4, bytes: 17, entries: 1 });
  });

  it('deletes guards, then manifests, then packs, each phase in earlier calls than the next', async () => {
    const specs = Array.from({ length: 30 }, (_, i) =>
      idle(`k${i}`, { updates: [{ at: ago(10 * DAY), packs: ['p'] }] }),
    );
    const { store, plan } = await setup(specs);
    await executePlan(plan, { store, batchSize: 7, concurrency: 3, ...fast });
    expect(store.keys()).toEqual([]);
    const lastGuard = Math.max(...plan.items.map((i) => callIndex(store, i.guard?.key ?? '')));
    const manifests = plan.items.flatMap((i) =>
      i.objects.filter((o) => o.role !== 'pack').map((o) => callIndex(store, o.key)),
    );
    const packs = plan.items.flatMap((i) =>
      i.objects.filter((o) => o.role === 'pack').map((o) => callIndex(store, o.key)),
    );
    expect(lastGuard).toBeLessThan(Math.min(...manifests));
    expect(Math.max(...manifests)).toBeLessThan(Math.min(...packs));
  });

  it('sends at most 1,000 keys per DeleteObjects call', async () => {
    const specs = Array.from({ length: 1200 }, (_, i) => idle(`k${i}`, { noMarker: true }));
    const { store, plan } = await setup(specs);
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([]);
    expect(result.objectsDeleted).toBe(2400);
    expect(Math.max(...store.deleteCalls.map((c) => c.keys.length))).toBe(1000);
    expect(store.deleteCalls.map((c) => c.keys.length).sort((a, b) => a - b)).toEqual([200, 200, 1000, 1000]);
    // batchSize above the S3 limit is clamped.
    const again = await setup(specs);
    await executePlan(again.plan, { store: again.store, batchSize: 5000, ...fast });
    expect(Math.max(...again.store.deleteCalls.map((c) => c.keys.length))).toBe(1000);
  });

  it('keeps an entry whose access marker was rewritten after the listing (a restore used it)', async () => {
    const { store, plan } = await setup([idle('used'), idle('unused')]);
    const used = keysOf(idle('used'));
    store.put(used.marker, '{"at":"now"}');
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([used.root, used.pack('p'), used.marker].sort());
    expect(result).toMatchObject({
      entriesDeleted: 1,
      entriesKept: 1,
      objectsChanged: 1,
      objectsSkipped: 2,
      failureCount: 0,
    });
  });

  it('checks guards with HEAD on stores without conditional deletes', async () => {
    const { store, plan } = await setup([idle('used'), idle('unused')], { conditional: false });
    const used = keysOf(idle('used'));
    store.put(used.marker, '{"at":"now"}');
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([used.root, used.pack('p'), used.marker].sort());
    expect(result.entriesKept).toBe(1);
  });

  it('skips any object rewritten since the listing', async () => {
    const sup = { key: 'sup', at: ago(3 * DAY), rootPacks: ['b'], packs: [{ id: 'b' }, { id: 'old' }] };
    const { store, plan } = await setup([sup]);
    store.put(keysOf(sup).pack('old'), 'rewritten');
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toContain(keysOf(sup).pack('old'));
    expect(result).toMatchObject({ objectsDeleted: 0, objectsChanged: 1, failureCount: 0 });
  });

  it('counts objects already gone as deleted (idempotent), also when run twice', async () => {
    const { store, plan } = await setup([idle('a'), idle('b')]);
    store.objects.delete(keysOf(idle('a')).pack('p'));
    store.objects.delete(keysOf(idle('b')).marker);
    const first = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([]);
    expect(first).toMatchObject({ objectsDeleted: 6, entriesDeleted: 2, failureCount: 0 });
    const second = await executePlan(plan, { store, ...fast });
    expect(second).toMatchObject({ objectsDeleted: 6, entriesDeleted: 2, entriesKept: 0, failureCount: 0 });
  });

  it('is correct when two runs of the same plan overlap', async () => {
    const specs = Array.from({ length: 40 }, (_, i) => idle(`k${i}`));
    const { store, plan } = await setup([...specs, fresh('keep')]);
    const [a, b] = await Promise.all([
      executePlan(plan, { store, batchSize: 9, ...fast }),
      executePlan(plan, { store, batchSize: 13, ...fast }),
    ]);
    expect(store.keys()).toEqual(
      [keysOf(fresh('keep')).root, keysOf(fresh('keep')).pack('p'), keysOf(fresh('keep')).marker].sort(),
    );
    expect(a.failureCount + b.failureCount).toBe(0);
    expect(a.entriesDeleted).toBe(40);
    expect(b.entriesDeleted).toBe(40);
  });

  it('backs off and retries when DeleteObjects is throttled (503 SlowDown)', async () => {
    const { store, plan } = await setup([idle('a')]);
    store.throwSlowDown = 3;
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([]);
    expect(result.failureCount).toBe(0);
    expect(result.deleteRequests).toBe(3 + 3);
  });

  it('retries keys reported as SlowDown inside a successful reply', async () => {
    const { store, plan } = await setup([idle('a'), idle('b')]);
    store.slowKeys.set(keysOf(idle('a')).root, 2);
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([]);
    expect(result.failureCount).toBe(0);
  });

  it('never deletes the packs of a manifest it could not delete', async () => {
    const { store, plan } = await setup([idle('denied'), idle('ok')]);
    const denied = keysOf(idle('denied'));
    store.deniedKeys.add(denied.root);
    const result = await executePlan(plan, { store, ...fast });
    expect(store.keys()).toEqual([denied.root, denied.pack('p')].sort());
    expect(result).toMatchObject({ entriesDeleted: 1, entriesKept: 1, failureCount: 1 });
    expect(result.failures[0]).toEqual({ key: denied.root, reason: 'AccessDenied: Access Denied' });
  });

  it('gives up after the configured attempts and reports the keys', async () => {
    const { store, plan } = await setup([idle('a')]);
    store.throwSlowDown = 100;
    const result = await executePlan(plan, { store, attempts: 2, ...fast });
    expect(store.keys()).toHaveLength(3);
    expect(result.failureCount).toBe(1);
    // The guard failed: the entry is kept whole.
    expect(result.entriesKept).toBe(1);
  });

  it('aborts stale multipart uploads', async () => {
    const store = new MemoryStore();
    const k = keysOf({ key: 'k', at: 0 });
    store.uploads.push(
      { key: k.pack('old'), uploadId: 'old', initiated: new Date(ago(2 * DAY)) },
      { key: k.pack('new'), uploadId: 'new', initiated: new Date(ago(HOUR / 2)) },
    );
    const f = fixture([], store.uploads.slice());
    const plan = createPlan({ inventory: f.inventory, policy: parsePolicy({}), now: NOW });
    const result = await executePlan(plan, { store, ...fast });
    expect(store.uploads.map((u) => u.uploadId)).toEqual(['new']);
    expect(result.uploadsAborted).toBe(1);
    expect(result.byReason['stale-upload'].objects).toBe(1);
  });

  it('executes nothing in a dry run', async () => {
    const { store, plan } = await setup([idle('a')]);
    const before = store.keys();
    const result = await executePlan(plan, { store, dryRun: true });
    expect(store.keys()).toEqual(before);
    expect(store.deleteCalls).toEqual([]);
    expect(result).toMatchObject({ dryRun: true, objectsDeleted: 0 });
  });

  it('stops when its signal is aborted', async () => {
    const { store, plan } = await setup([idle('a')]);
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(executePlan(plan, { store, signal: controller.signal, ...fast })).rejects.toThrow(
      'deadline',
    );
    expect(store.keys()).toHaveLength(3);
  });

  it('handles an empty plan', async () => {
    const store = new MemoryStore();
    const plan: Plan = createPlan({ inventory: fixture([]).inventory, policy: parsePolicy({}), now: NOW });
    expect(await executePlan(plan, { store })).toMatchObject({ objectsDeleted: 0, deleteRequests: 0 });
  });
});
