import { FORMAT, type Manifest, StoreError, serializeManifest } from '@s3cache/core';
import { describe, expect, it } from 'vitest';
import { generationToRead, judgeManifest, readManifests } from '../src/index.js';
import { ago, DAY, fixture, HOUR, keysOf, layout, updateName, VERSION } from './support/fixtures.js';
import { MemoryStore } from './support/memory-store.js';

const iso = new Date(ago(DAY)).toISOString();

function manifest(over: Partial<Manifest> = {}): Manifest {
  return {
    format: FORMAT,
    kind: 'base',
    id: 'm1',
    repository: 'acme/app',
    scope: 'refs/heads/main',
    version: VERSION,
    key: 'k',
    createdAt: iso,
    paths: ['cache'],
    compression: 'zstd',
    rawBytes: 10,
    items: 1,
    packs: [
      { id: 'base', type: 'base', bytes: 100, createdAt: iso },
      { id: 'delta', type: 'delta-archive', bytes: 100, createdAt: iso },
    ],
    chunks: [
      ['0'.repeat(64), 5, 0, 0, 50],
      ['1'.repeat(64), 5, 1, 0, 50],
    ],
    ...over,
  };
}

const spec = {
  key: 'k',
  at: ago(2 * DAY),
  rootPacks: 'unread' as const,
  packs: [{ id: 'base' }, { id: 'delta' }],
  updates: [{ at: ago(DAY), packs: 'unread' as const }],
};

describe('judgeManifest', () => {
  const entry = fixture([spec]).inventory.entries[0];
  if (!entry) throw new Error('fixture');

  it('lists the packs of a manifest restore would use', () => {
    expect(judgeManifest(serializeManifest(manifest()), 'k', entry, layout)).toEqual({
      status: 'ok',
      packIds: ['base', 'delta'],
    });
  });

  it('marks manifests restore would skip as invalid', () => {
    const cases: Buffer[] = [
      Buffer.from('not json'),
      Buffer.from('{"format":"s3cache/1"}'),
      serializeManifest(manifest({ key: 'another-key' })),
      serializeManifest(manifest({ version: 'e'.repeat(64) })),
      serializeManifest(manifest({ scope: 'refs/heads/dev' })),
      serializeManifest(manifest({ chunks: [['0'.repeat(64), 5, 0, 90, 50]] })),
    ];
    for (const bytes of cases) expect(judgeManifest(bytes, 'k', entry, layout).status).toBe('invalid');
  });

  it('never marks a manifest of a newer format invalid', () => {
    const future = Buffer.from(JSON.stringify({ format: 's3cache/2', anything: true }));
    expect(judgeManifest(future, 'k', entry, layout)).toMatchObject({ status: 'unknown' });
  });
});

describe('readManifests', () => {
  it('reads the generations the planner needs and records their packs', async () => {
    const store = new MemoryStore();
    const k = keysOf(spec);
    const update = k.update(updateName(ago(DAY), 1));
    store.put(
      k.root,
      serializeManifest(
        manifest({
          packs: [manifest().packs[0] as Manifest['packs'][number]],
          chunks: [['0'.repeat(64), 10, 0, 0, 50]],
        }),
      ),
    );
    store.put(update, serializeManifest(manifest({ kind: 'update', id: 'u1' })));
    const { inventory } = fixture([spec]);
    const result = await readManifests(inventory, { store, layout });
    expect(result).toMatchObject({ read: 2, failed: 0 });
    const entry = result.inventory.entries[0];
    expect(entry?.root.content).toEqual({ status: 'ok', packIds: ['base'] });
    expect(entry?.updates[0]?.content).toEqual({ status: 'ok', packIds: ['base', 'delta'] });
  });

  it('treats a manifest deleted since the listing as invalid, and a read failure as unknown', async () => {
    const store = new MemoryStore();
    const k = keysOf(spec);
    store.put(k.root, serializeManifest(manifest()));
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'getObject') {
          return async (key: string) => {
            if (key === k.root) throw new StoreError('GetObject failed: AccessDenied', 'AccessDenied');
            return target.getObject(key);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const result = await readManifests(fixture([spec]).inventory, { store: failing, layout });
    expect(result.failed).toBe(1);
    expect(result.inventory.entries[0]?.root.content.status).toBe('unknown');
    expect(result.inventory.entries[0]?.updates[0]?.content).toEqual({
      status: 'invalid',
      reason: 'deleted since the listing',
    });
  });

  it('reads nothing when nothing is needed', async () => {
    const store = new MemoryStore();
    const { inventory } = fixture([{ key: 'simple', at: ago(DAY), packs: [{ id: 'p' }] }]);
    const result = await readManifests(inventory, { store, layout });
    expect(result).toEqual({ inventory, read: 0, failed: 0 });
  });
});

describe('reading only what the planner needs', () => {
  const hot = {
    key: 'k',
    at: ago(3 * DAY),
    rootPacks: 'unread' as const,
    packs: [{ id: 'base' }, { id: 'd1' }, { id: 'd2' }],
    updates: [
      { at: ago(2 * DAY), packs: 'unread' as const },
      { at: ago(DAY), packs: 'unread' as const },
    ],
  };
  const k = keysOf(hot);
  const u1 = k.update(updateName(ago(2 * DAY), 1));
  const u2 = k.update(updateName(ago(DAY), 2));

  function seeded(newest: Partial<Manifest>) {
    const store = new MemoryStore();
    const pack = (id: string) => ({ id, type: 'delta-archive' as const, bytes: 100, createdAt: iso });
    const chunks: Manifest['chunks'] = [['0'.repeat(64), 10, 0, 0, 50]];
    store.put(k.root, serializeManifest(manifest({ packs: [pack('base')], chunks })));
    store.put(u1, serializeManifest(manifest({ kind: 'update', packs: [pack('base'), pack('d1')], chunks })));
    store.put(
      u2,
      serializeManifest(manifest({ kind: 'update', packs: [pack('base'), pack('d2')], chunks, ...newest })),
    );
    const reads: string[] = [];
    const spy = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'getObject') {
          return (key: string) => {
            reads.push(key);
            return target.getObject(key);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    return { store: spy, reads };
  }

  it('stops at the newest complete generation older than the grace', async () => {
    const { store, reads } = seeded({});
    const result = await readManifests(fixture([hot]).inventory, { store, layout, graceCutoff: ago(HOUR) });
    expect(reads).toEqual([u2]);
    expect(result.read).toBe(1);
    const entry = result.inventory.entries[0];
    expect(entry && generationToRead(entry, ago(HOUR))).toBeUndefined();
    expect(entry?.root.content.status).toBe('unread');
  });

  it('reads on while the newer generations are incomplete or younger than the grace', async () => {
    const missing = seeded({
      packs: [
        { id: 'base', type: 'base', bytes: 100, createdAt: iso },
        { id: 'expired', type: 'delta-archive', bytes: 100, createdAt: iso },
      ],
    });
    await readManifests(fixture([hot]).inventory, { store: missing.store, layout, graceCutoff: ago(HOUR) });
    expect(missing.reads).toEqual([u2, u1]);
    const young = seeded({});
    await readManifests(fixture([hot]).inventory, {
      store: young.store,
      layout,
      graceCutoff: ago(2 * DAY - HOUR),
    });
    expect(young.reads).toEqual([u2, u1]);
  });

  it('reads every generation without a grace cutoff', async () => {
    const { store, reads } = seeded({});
    await readManifests(fixture([hot]).inventory, { store, layout });
    expect(reads).toEqual([u2, u1, k.root]);
  });
});
