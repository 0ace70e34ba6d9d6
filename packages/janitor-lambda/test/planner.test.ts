import { describe, expect, it } from 'vitest';
import { createPlan, type Plan, summarizePlan } from '../src/index.js';
import {
  ago,
  DAY,
  deletedKeys,
  deletions,
  fixture,
  HOUR,
  keysOf,
  MINUTE,
  NOW,
  policy,
  roles,
  updateName,
} from './support/fixtures.js';

const plan = (f: ReturnType<typeof fixture>, input = {}): Plan =>
  createPlan({ inventory: f.inventory, policy: policy(input), now: NOW });

describe('createPlan', () => {
  it('plans nothing for an empty bucket', () => {
    const p = plan(fixture([]));
    expect(p.items).toEqual([]);
    expect(p.aborts).toEqual([]);
    expect(p.bytesBefore).toBe(0);
  });

  it('plans nothing for fresh entries under their cap', () => {
    const f = fixture([
      { key: 'a', at: ago(2 * DAY), packs: [{ id: 'p1' }], marker: ago(HOUR * 2) },
      { key: 'b', at: ago(3 * HOUR), packs: [{ id: 'p2' }] },
    ]);
    const p = plan(f);
    expect(p.items).toEqual([]);
    expect(p.bytesAfter).toBe(p.bytesBefore);
    expect(p.entriesAfter).toBe(2);
  });

  it('is deterministic and does not depend on listing order', () => {
    const specs = [
      { key: 'a', at: ago(9 * DAY), packs: [{ id: 'p1' }] },
      { key: 'b', at: ago(8 * DAY), packs: [{ id: 'p2' }] },
      { key: 'c', at: ago(1 * DAY), packs: [{ id: 'p3' }] },
    ];
    const forward = plan(fixture(specs), { defaultRepositoryCapBytes: 1500 });
    const backward = plan(fixture([...specs].reverse()), { defaultRepositoryCapBytes: 1500 });
    expect(backward.items).toEqual(forward.items);
  });
});

describe('idle entries (maxIdleDays)', () => {
  it('deletes entries idle longer than maxIdleDays: root manifest first, marker as the guard', () => {
    const old = { key: 'old', at: ago(30 * DAY), packs: [{ id: 'p1' }], marker: ago(8 * DAY) };
    const p = plan(fixture([old]));
    expect(p.items).toHaveLength(1);
    const [item] = p.items;
    const k = keysOf(old);
    expect(item).toMatchObject({
      reason: 'idle',
      wholeEntry: true,
      key: 'old',
      repository: 'acme/app',
      scopeKind: 'heads',
    });
    expect(item?.objects.map((o) => o.key)).toEqual([k.root, k.pack('p1')]);
    expect(item?.guard?.key).toBe(k.marker);
    expect(item?.lastAccess).toBe(ago(8 * DAY));
  });

  it('measures idleness from the newest of marker, root manifest and updates', () => {
    const f = fixture([
      // Saved long ago but restored yesterday: kept.
      { key: 'restored', at: ago(30 * DAY), packs: [{ id: 'p1' }], marker: ago(DAY) },
      // Saved long ago, updated two days ago (a save is a use): kept.
      {
        key: 'updated',
        at: ago(30 * DAY),
        packs: [
          { id: 'b', at: ago(30 * DAY) },
          { id: 'd', at: ago(2 * DAY) },
        ],
        rootPacks: ['b'],
        updates: [{ at: ago(2 * DAY), packs: ['b', 'd'] }],
      },
      // Never restored, saved 8 days ago: idle.
      { key: 'never', at: ago(8 * DAY), packs: [{ id: 'p3' }] },
    ]);
    const p = plan(f);
    expect(p.items.map((i) => [i.reason, i.key])).toEqual([['idle', 'never']]);
  });

  it('honours a per-repository maxIdleDays', () => {
    const f = fixture([
      { repo: 'acme/app', key: 'a', at: ago(3 * DAY), packs: [{ id: 'p1' }] },
      { repo: 'acme/short', key: 'b', at: ago(3 * DAY), packs: [{ id: 'p2' }] },
    ]);
    const p = plan(f, { repositories: { 'ACME/Short': { maxIdleDays: 2 } } });
    expect(p.items.map((i) => [i.reason, i.repository])).toEqual([['idle', 'acme/short']]);
  });

  it('counts an entry idle exactly at the limit as idle', () => {
    const p = plan(fixture([{ key: 'edge', at: ago(7 * DAY), packs: [{ id: 'p' }] }]));
    expect(p.items.map((i) => i.reason)).toEqual(['idle']);
  });
});

describe('pull-request entries (pullRequestIdleDays)', () => {
  const specs = [
    { scope: 'refs/pull/7/merge', key: 'pr-old', at: ago(2 * DAY), packs: [{ id: 'p1' }] },
    { scope: 'refs/pull/8/merge', key: 'pr-fresh', at: ago(20 * HOUR), packs: [{ id: 'p2' }] },
    { scope: 'refs/heads/feature', key: 'branch', at: ago(2 * DAY), packs: [{ id: 'p3' }] },
    { scope: 'refs/tags/v1', key: 'tag', at: ago(2 * DAY), packs: [{ id: 'p4' }] },
  ];

  it('expires pull-request scopes after pullRequestIdleDays, branches and tags only after maxIdleDays', () => {
    const p = plan(fixture(specs));
    expect(p.items.map((i) => [i.reason, i.key, i.scopeKind])).toEqual([['pr-idle', 'pr-old', 'pull']]);
    expect(p.items[0]?.scope).toBe('refs/pull/7/merge');
  });

  it('honours a per-repository pullRequestIdleDays', () => {
    const p = plan(fixture(specs), { repositories: { 'acme/app': { pullRequestIdleDays: 3 } } });
    expect(p.items).toEqual([]);
  });

  it('applies pr-idle before idle', () => {
    const p = plan(
      fixture([{ scope: 'refs/pull/1/merge', key: 'x', at: ago(30 * DAY), packs: [{ id: 'p' }] }]),
    );
    expect(p.items.map((i) => i.reason)).toEqual(['pr-idle']);
  });
});

describe('grace period', () => {
  it('never evicts an entry used within the grace period, even with zero TTLs and caps', () => {
    const f = fixture([
      { key: 'busy', at: ago(30 * DAY), packs: [{ id: 'p1' }], marker: ago(10 * MINUTE) },
      { key: 'new', at: ago(5 * MINUTE), packs: [{ id: 'p2', at: ago(6 * MINUTE) }] },
      { key: 'settled', at: ago(2 * HOUR), packs: [{ id: 'p3' }] },
    ]);
    const p = plan(f, { maxIdleDays: 0, pullRequestIdleDays: 0, defaultRepositoryCapBytes: 0 });
    expect(p.items.map((i) => i.key)).toEqual(['settled']);
    expect(p.keptInGrace).toBe(2);
    expect(p.bytesAfter).toBe(2000);
  });

  it('leaves objects younger than the grace inside an evicted entry (a save in flight)', () => {
    const spec = {
      key: 'e',
      at: ago(10 * DAY),
      packs: [
        { id: 'base', at: ago(10 * DAY) },
        { id: 'inflight', at: ago(5 * MINUTE) },
      ],
      rootPacks: ['base'],
    };
    const p = plan(fixture([spec]));
    const k = keysOf(spec);
    expect(deletedKeys(p)).toEqual([k.root, k.pack('base')].sort());
  });

  it('uses graceMinutes from the policy', () => {
    const spec = { key: 'e', at: ago(90 * MINUTE), packs: [{ id: 'p' }] };
    expect(plan(fixture([spec]), { maxIdleDays: 0 }).items).toHaveLength(1);
    expect(plan(fixture([spec]), { maxIdleDays: 0, graceMinutes: 120 }).items).toHaveLength(0);
  });
});

describe('repository caps (LRU down to the low-water mark)', () => {
  // Five entries of 1000 bytes in one repository, last used 1..5 days ago.
  const five = [1, 2, 3, 4, 5].map((d) => ({
    key: `k${d}`,
    at: ago(6 * DAY),
    packs: [{ id: `p${d}` }],
    marker: ago(d * DAY),
  }));
  const lenient = { maxIdleDays: 30 };

  it('evicts least recently used entries until usage is at or below lowWater × cap', () => {
    const p = plan(fixture(five), { ...lenient, defaultRepositoryCapBytes: 4000 });
    // 5000 > 4000: evict to <= 3600, i.e. the two least recently used.
    expect(p.items.map((i) => [i.reason, i.key])).toEqual([
      ['repo-cap', 'k5'],
      ['repo-cap', 'k4'],
    ]);
    expect(p.repositories[0]).toMatchObject({
      bytesBefore: 5000,
      bytesAfter: 3000,
      entriesBefore: 5,
      entriesAfter: 3,
    });
  });

  it('does nothing at exactly the cap (hysteresis starts only above it)', () => {
    expect(plan(fixture(five), { ...lenient, defaultRepositoryCapBytes: 5000 }).items).toEqual([]);
  });

  it('stops as soon as the low-water mark is reached', () => {
    const p = plan(fixture(five), { ...lenient, defaultRepositoryCapBytes: 4500, lowWaterRatio: 0.95 });
    // target 4275: one eviction (5000 -> 4000) is enough.
    expect(p.items.map((i) => i.key)).toEqual(['k5']);
  });

  it('lowWaterRatio 1 evicts only down to the cap', () => {
    const p = plan(fixture(five), { ...lenient, defaultRepositoryCapBytes: 3000, lowWaterRatio: 1 });
    expect(p.items.map((i) => i.key)).toEqual(['k5', 'k4']);
  });

  it('prefers the larger of two equally old entries, then a stable order', () => {
    const f = fixture([
      { key: 'small', at: ago(2 * DAY), packs: [{ id: 's', size: 100 }] },
      { key: 'large', at: ago(2 * DAY), packs: [{ id: 'l', size: 900 }] },
      { key: 'newer', at: ago(1 * DAY), packs: [{ id: 'n', size: 900 }] },
    ]);
    const p = plan(f, { defaultRepositoryCapBytes: 1500 });
    expect(p.items.map((i) => i.key)).toEqual(['large']);
  });

  it('applies per-repository caps and leaves other repositories alone', () => {
    const other = [1, 2, 3].map((d) => ({
      repo: 'acme/lib',
      key: `l${d}`,
      at: ago(6 * DAY),
      packs: [{ id: `q${d}` }],
    }));
    const p = plan(fixture([...five, ...other]), {
      ...lenient,
      defaultRepositoryCapBytes: 10_000,
      repositories: { 'acme/lib': { capBytes: '2000B' } },
    });
    // acme/lib: 3000 > 2000, target 1800 -> two evictions (equal ages: stable order by directory).
    expect(p.items.map((i) => [i.reason, i.repository])).toEqual([
      ['repo-cap', 'acme/lib'],
      ['repo-cap', 'acme/lib'],
    ]);
    const app = p.repositories.find((r) => r.repository === 'acme/app');
    expect(app).toMatchObject({ capBytes: 10_000, bytesAfter: 5000 });
  });

  it('skips entries in use, and counts them', () => {
    const specs = [
      { key: 'hot1', at: ago(6 * DAY), packs: [{ id: 'h1' }], marker: ago(5 * MINUTE) },
      { key: 'hot2', at: ago(6 * DAY), packs: [{ id: 'h2' }], marker: ago(1 * MINUTE) },
      { key: 'cold', at: ago(6 * DAY), packs: [{ id: 'c' }], marker: ago(2 * DAY) },
    ];
    const p = plan(fixture(specs), { ...lenient, defaultRepositoryCapBytes: 100 });
    expect(p.items.map((i) => i.key)).toEqual(['cold']);
    expect(p.keptInGrace).toBe(2);
    expect(p.repositories[0]?.bytesAfter).toBe(2000);
  });

  it('counts every object of the repository (orphans, updates, markers) towards its cap', () => {
    const f = fixture([
      { key: 'a', at: ago(2 * DAY), packs: [{ id: 'p1' }], marker: ago(2 * DAY), manifestSize: 100 },
      { key: 'b', at: ago(1 * DAY), packs: [{ id: 'p2' }], manifestSize: 100 },
      // An orphaned directory younger than the grace: not collectable yet, but it takes space.
      { key: 'orphan', at: ago(1 * MINUTE), noRoot: true, packs: [{ id: 'o', size: 500 }] },
    ]);
    expect(f.inventory.repositories[0]?.bytes).toBe(2700);
    const p = plan(f, { defaultRepositoryCapBytes: 2600 });
    expect(p.items.map((i) => i.key)).toEqual(['a']);
    expect(p.repositories[0]?.bytesAfter).toBe(1600);
  });

  it('evicts after the TTL policies, counting what they freed', () => {
    const specs = [{ key: 'idle', at: ago(10 * DAY), packs: [{ id: 'i', size: 3000 }] }, ...five.slice(0, 2)];
    const p = plan(fixture(specs), { defaultRepositoryCapBytes: 2500 });
    // 5000 total; idle frees 3000 -> 2000 <= cap: no cap eviction.
    expect(p.items.map((i) => [i.reason, i.key])).toEqual([['idle', 'idle']]);
  });
});

describe('bucket cap', () => {
  it('evicts least recently used entries across repositories down to lowWater × cap', () => {
    const f = fixture([
      { repo: 'a/one', key: 'a1', at: ago(5 * DAY), packs: [{ id: 'p' }] },
      { repo: 'b/two', key: 'b1', at: ago(4 * DAY), packs: [{ id: 'p' }] },
      { repo: 'a/one', key: 'a2', at: ago(3 * DAY), packs: [{ id: 'p' }] },
      { repo: 'b/two', key: 'b2', at: ago(2 * DAY), packs: [{ id: 'p' }] },
    ]);
    const p = plan(f, { bucketCapBytes: 3000 });
    // 4000 > 3000, target 2700: a1 then b1.
    expect(p.items.map((i) => [i.reason, i.repository, i.key])).toEqual([
      ['bucket-cap', 'a/one', 'a1'],
      ['bucket-cap', 'b/two', 'b1'],
    ]);
    expect(p.bytesAfter).toBe(2000);
  });

  it('runs after the repository caps', () => {
    const f = fixture([
      { repo: 'a/one', key: 'a1', at: ago(1 * DAY), packs: [{ id: 'p', size: 2000 }] },
      { repo: 'a/one', key: 'a2', at: ago(2 * DAY), packs: [{ id: 'p', size: 2000 }] },
      { repo: 'b/two', key: 'b1', at: ago(5 * DAY), packs: [{ id: 'p', size: 1000 }] },
    ]);
    const p = plan(f, { repositories: { 'a/one': { capBytes: 3000 } }, bucketCapBytes: 2500 });
    expect(p.items.map((i) => [i.reason, i.key])).toEqual([
      ['repo-cap', 'a2'],
      ['bucket-cap', 'b1'],
    ]);
  });

  it('does nothing without a bucket cap', () => {
    const f = fixture([{ repo: 'a/one', key: 'a1', at: ago(5 * DAY), packs: [{ id: 'p', size: 10 ** 9 }] }]);
    expect(plan(f, { defaultRepositoryCapBytes: '100GiB' }).items).toEqual([]);
  });
});

describe('superseded generations', () => {
  const base = { id: 'base', at: ago(3 * DAY) };

  it('keeps the newest complete generation and the root manifest, collects older updates and their deltas', () => {
    const spec = {
      key: 'hot',
      at: ago(3 * DAY),
      marker: ago(HOUR * 2),
      rootPacks: ['base'],
      packs: [base, { id: 'd1', at: ago(2 * DAY) }, { id: 'd2', at: ago(1 * DAY) }],
      updates: [
        { at: ago(2 * DAY), packs: ['base', 'd1'] },
        { at: ago(1 * DAY), packs: ['base', 'd2'] },
      ],
    };
    const k = keysOf(spec);
    const p = plan(fixture([spec]));
    expect(p.items).toHaveLength(1);
    expect(p.items[0]).toMatchObject({ reason: 'superseded', wholeEntry: false, guard: undefined });
    expect(p.items[0]?.objects.map((o) => o.key)).toEqual([
      k.update(updateName(ago(2 * DAY), 1)),
      k.pack('d1'),
    ]);
    expect(roles(p.items[0]?.objects ?? [])).toEqual(['update', 'pack']);
    expect(p.entriesAfter).toBe(1);
  });

  it('collects the old base after a rebase, but never the root manifest', () => {
    const spec = {
      key: 'rebased',
      at: ago(3 * DAY),
      rootPacks: ['base'],
      packs: [base, { id: 'base2', at: ago(1 * DAY) }],
      updates: [{ at: ago(1 * DAY), packs: ['base2'] }],
    };
    const k = keysOf(spec);
    expect(deletedKeys(plan(fixture([spec])))).toEqual([k.pack('base')]);
  });

  it('falls back to an older generation when the newest lost a pack, and collects the dead one', () => {
    const spec = {
      key: 'expired-delta',
      at: ago(3 * DAY),
      rootPacks: ['base'],
      packs: [base, { id: 'd1', at: ago(2 * DAY) }],
      // d2 expired by lifecycle: the newest generation can never be restored again.
      updates: [
        { at: ago(2 * DAY), packs: ['base', 'd1'] },
        { at: ago(1 * DAY), packs: ['base', 'd2'] },
      ],
    };
    const k = keysOf(spec);
    expect(deletedKeys(plan(fixture([spec])))).toEqual([k.update(updateName(ago(1 * DAY), 2))]);
  });

  it('protects generations younger than the grace and their packs', () => {
    const spec = {
      key: 'saving',
      at: ago(3 * DAY),
      rootPacks: ['base'],
      packs: [base, { id: 'd1', at: ago(2 * DAY) }, { id: 'fresh', at: ago(10 * MINUTE) }],
      updates: [
        { at: ago(2 * DAY), packs: ['base', 'd1'] },
        // Written 5 minutes ago; a restore may have picked the older one and still be reading it.
        { at: ago(5 * MINUTE), packs: ['fresh'] },
      ],
    };
    expect(plan(fixture([spec])).items).toEqual([]);
  });

  it('protects the packs of a young generation not listed yet (its pack was written during the listing)', () => {
    const spec = {
      key: 'racing',
      at: ago(3 * DAY),
      rootPacks: ['base'],
      packs: [base],
      updates: [{ at: ago(1 * MINUTE), packs: ['base', 'unlisted'] }],
    };
    expect(plan(fixture([spec])).items).toEqual([]);
  });

  it('collects unreadable updates and packs nothing references, once older than the grace', () => {
    const spec = {
      key: 'messy',
      at: ago(3 * DAY),
      rootPacks: ['base'],
      packs: [base, { id: 'leftover', at: ago(2 * DAY) }, { id: 'young-leftover', at: ago(1 * MINUTE) }],
      updates: [{ at: ago(2 * DAY), packs: 'invalid' as const }],
    };
    const k = keysOf(spec);
    expect(deletedKeys(plan(fixture([spec])))).toEqual(
      [k.update(updateName(ago(2 * DAY), 1)), k.pack('leftover')].sort(),
    );
  });

  it('leaves an entry alone while a generation it needs is unread or unknown', () => {
    for (const state of ['unread', 'unknown'] as const) {
      const spec = {
        key: `x-${state}`,
        at: ago(3 * DAY),
        rootPacks: ['base'],
        packs: [base, { id: 'd1', at: ago(2 * DAY) }],
        updates: [{ at: ago(2 * DAY), packs: state }],
      };
      const p = plan(fixture([spec]));
      expect(p.items).toEqual([]);
      expect(p.unresolved).toBe(1);
    }
  });

  it('does not need the root manifest when a newer complete generation exists', () => {
    const spec = {
      key: 'root-unread',
      at: ago(3 * DAY),
      rootPacks: 'unread' as const,
      packs: [base, { id: 'base2', at: ago(1 * DAY) }],
      updates: [{ at: ago(1 * DAY), packs: ['base2'] }],
    };
    expect(deletedKeys(plan(fixture([spec])))).toEqual([keysOf(spec).pack('base')]);
  });

  it('does not delete superseded objects twice when the entry is also evicted', () => {
    const spec = {
      key: 'both',
      at: ago(30 * DAY),
      marker: ago(20 * DAY),
      rootPacks: ['base'],
      packs: [
        { id: 'base', at: ago(30 * DAY) },
        { id: 'base2', at: ago(25 * DAY) },
      ],
      updates: [{ at: ago(25 * DAY), packs: ['base2'] }],
    };
    const k = keysOf(spec);
    const p = plan(fixture([spec]));
    expect(p.items.map((i) => i.reason)).toEqual(['superseded', 'idle']);
    expect(p.items[0]?.objects.map((o) => o.key)).toEqual([k.pack('base')]);
    expect(p.items[1]?.objects.map((o) => o.key)).toEqual([
      k.root,
      k.update(updateName(ago(25 * DAY), 1)),
      k.pack('base2'),
    ]);
    const all = p.items.flatMap((i) => [...i.objects.map((o) => o.key), ...(i.guard ? [i.guard.key] : [])]);
    expect(new Set(all).size).toBe(all.length);
    expect(p.bytesAfter).toBe(0);
  });
});

describe('broken entries', () => {
  it('deletes a settled entry whose every generation lost a pack', () => {
    const spec = {
      key: 'lost',
      at: ago(2 * DAY),
      marker: ago(2 * DAY),
      rootPacks: ['base'],
      // The delta generation lost its delta; the root lost its base.
      packs: [{ id: 'stray' }, { id: 'u-delta' }],
      updates: [{ at: ago(2 * DAY), packs: ['base', 'delta'] }],
    };
    const k = keysOf(spec);
    const p = plan(fixture([spec]));
    expect(p.items.map((i) => [i.reason, i.wholeEntry])).toEqual([['broken', true]]);
    expect(p.items[0]?.objects.map((o) => o.key)).toEqual([
      k.root,
      k.update(updateName(ago(2 * DAY), 1)),
      k.pack('stray'),
      k.pack('u-delta'),
    ]);
    expect(p.items[0]?.guard?.key).toBe(k.marker);
  });

  it('assumes an entry with one pack and no update is complete (no read; a save writes one pack per generation)', () => {
    const spec = { key: 'single', at: ago(2 * DAY), rootPacks: 'unread' as const, packs: [{ id: 'only' }] };
    const p = plan(fixture([spec]));
    expect(p.items).toEqual([]);
    expect(p.unresolved).toBe(0);
  });

  it('deletes an entry with no pack at all without reading its manifest', () => {
    const spec = { key: 'empty', at: ago(2 * HOUR), rootPacks: 'unread' as const };
    expect(plan(fixture([spec])).items.map((i) => i.reason)).toEqual(['broken']);
  });

  it('deletes an entry whose root manifest restore cannot use', () => {
    const spec = {
      key: 'corrupt',
      at: ago(2 * HOUR),
      rootPacks: 'invalid' as const,
      packs: [{ id: 'a' }, { id: 'b' }],
    };
    expect(plan(fixture([spec])).items.map((i) => i.reason)).toEqual(['broken']);
  });

  it('waits for the grace period before calling an entry broken', () => {
    const spec = {
      key: 'young',
      at: ago(10 * MINUTE),
      rootPacks: ['notyet'],
      packs: [{ id: 'other', at: ago(20 * MINUTE) }],
    };
    expect(plan(fixture([spec])).items).toEqual([]);
  });

  it('never calls an entry of an unknown manifest format broken', () => {
    const spec = {
      key: 'future',
      at: ago(2 * DAY),
      rootPacks: 'unknown' as const,
      packs: [{ id: 'a' }, { id: 'b' }],
    };
    const p = plan(fixture([spec]));
    expect(p.items).toEqual([]);
    expect(p.unresolved).toBe(1);
  });
});

describe('orphans', () => {
  it('collects packs and updates of directories without a root manifest once older than the grace', () => {
    const old = {
      key: 'abandoned',
      at: ago(2 * HOUR),
      noRoot: true,
      packs: [{ id: 'p1' }, { id: 'p2', at: ago(5 * MINUTE) }],
      updates: [{ at: ago(3 * HOUR), packs: 'unread' as const }],
    };
    const k = keysOf(old);
    const p = plan(fixture([old]));
    expect(p.items.map((i) => [i.reason, i.wholeEntry])).toEqual([['orphan-pack', false]]);
    expect(p.items[0]?.objects.map((o) => o.key)).toEqual([
      k.update(updateName(ago(3 * HOUR), 1)),
      k.pack('p1'),
    ]);
  });

  it('leaves a directory alone while a multipart upload into it is in flight', () => {
    const spec = { key: 'uploading', at: ago(3 * HOUR), noRoot: true, packs: [{ id: 'p1' }] };
    const k = keysOf(spec);
    const f = fixture([spec], [{ key: k.pack('p2'), uploadId: 'u1', initiated: new Date(ago(2 * HOUR)) }]);
    expect(plan(f).items).toEqual([]);
  });

  it('collects access markers of entries that do not exist', () => {
    const stale = { key: 'gone', at: 0, noRoot: true, marker: ago(2 * HOUR) };
    const fresh = { key: 'soon', at: 0, noRoot: true, marker: ago(2 * MINUTE) };
    const p = plan(fixture([stale, fresh]));
    expect(p.items.map((i) => [i.reason, i.objects.map((o) => o.key)])).toEqual([
      ['orphan-marker', [keysOf(stale).marker]],
    ]);
  });

  it('never touches objects outside the layout', () => {
    const f = fixture(
      [],
      [],
      [
        { key: '_s3cache/reports/2026.json', size: 10, lastModified: new Date(0) },
        { key: 'acme/app/heads/main/notaversion/k/manifest.json', size: 10, lastModified: new Date(0) },
        { key: 'stray.txt', size: 10, lastModified: new Date(0) },
      ],
    );
    expect(plan(f, { defaultRepositoryCapBytes: 0, bucketCapBytes: 0 }).items).toEqual([]);
  });
});

describe('stale multipart uploads', () => {
  it('aborts uploads older than multipartMaxAgeHours', () => {
    const f = fixture(
      [],
      [
        { key: 'acme/app/heads/main/x/k/packs/a.pack', uploadId: 'old', initiated: new Date(ago(25 * HOUR)) },
        { key: 'acme/app/heads/main/x/k/packs/b.pack', uploadId: 'new', initiated: new Date(ago(23 * HOUR)) },
      ],
    );
    const p = plan(f);
    expect(p.aborts.map((a) => a.uploadId)).toEqual(['old']);
    expect(p.aborts[0]).toMatchObject({ reason: 'stale-upload', repository: 'acme/app' });
  });

  it('never aborts an upload younger than the grace, whatever multipartMaxAgeHours says', () => {
    const f = fixture([], [{ key: 'acme/app/x', uploadId: 'u', initiated: new Date(ago(30 * MINUTE)) }]);
    expect(plan(f, { multipartMaxAgeHours: 0 }).aborts).toEqual([]);
    expect(plan(f, { multipartMaxAgeHours: 0, graceMinutes: 10 }).aborts).toHaveLength(1);
  });
});

describe('plan order and accounting', () => {
  it('orders items by policy: superseded, broken, orphans, pr-idle, idle, caps', () => {
    const f = fixture([
      {
        key: 'z-sup',
        at: ago(3 * DAY),
        marker: ago(HOUR * 2),
        rootPacks: ['b'],
        packs: [{ id: 'b' }, { id: 'x' }],
      },
      { key: 'y-broken', at: ago(3 * HOUR), rootPacks: ['gone'], packs: [{ id: 'q' }, { id: 'r' }] },
      { key: 'x-orphan', at: ago(3 * HOUR), noRoot: true, packs: [{ id: 'o' }] },
      { scope: 'refs/pull/1/merge', key: 'w-pr', at: ago(2 * DAY), packs: [{ id: 'p' }] },
      { key: 'v-idle', at: ago(8 * DAY), packs: [{ id: 'i' }] },
      { key: 'u-cap', at: ago(6 * DAY), packs: [{ id: 'c', size: 5000 }] },
    ]);
    const p = plan(f, { defaultRepositoryCapBytes: 3000 });
    expect(p.items.map((i) => i.reason)).toEqual([
      'superseded',
      'broken',
      'orphan-pack',
      'pr-idle',
      'idle',
      'repo-cap',
    ]);
    const summary = summarizePlan(p);
    expect(summary['repo-cap']).toEqual({ items: 1, objects: 2, bytes: 5000, entries: 1 });
    expect(summary.superseded).toEqual({ items: 1, objects: 1, bytes: 1000, entries: 0 });
    expect(p.bytesBefore - p.bytesAfter).toBe(p.items.reduce((n, i) => n + i.bytes, 0));
    expect(p.entriesAfter).toBe(1);
  });

  it('plans each object at most once', () => {
    const f = fixture(
      Array.from({ length: 50 }, (_, i) => ({
        repo: i % 2 ? 'a/one' : 'b/two',
        scope: i % 3 ? 'refs/heads/main' : 'refs/pull/3/merge',
        key: `k${i}`,
        at: ago((i % 10) * DAY),
        rootPacks: ['b'],
        packs: [{ id: 'b' }, { id: 'stale' }],
        marker: ago((i % 7) * DAY),
      })),
    );
    const p = plan(f, { defaultRepositoryCapBytes: 10_000, bucketCapBytes: 15_000 });
    const keys = p.items.flatMap((i) => [...i.objects.map((o) => o.key), ...(i.guard ? [i.guard.key] : [])]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(deletions(p).size).toBe(keys.length);
    // The cap cannot be met: what is left is in use (last access within the grace period).
    expect(p.keptInGrace).toBe(12);
    expect(p.bytesAfter).toBe(17_000);
  });
});
