import { describe, expect, it } from 'vitest';
import { buildInventory, InventoryBuilder, manifestsToRead, withGenerationContents } from '../src/index.js';
import { ago, DAY, fixture, HOUR, keysOf, layout, updateName } from './support/fixtures.js';

describe('buildInventory', () => {
  const unmarked = {
    key: 'linux-deps',
    at: ago(3 * DAY),
    rootPacks: 'unread' as const,
    manifestSize: 100,
    packs: [
      { id: 'base', size: 5000, at: ago(3 * DAY) },
      { id: 'delta', size: 700, at: ago(2 * DAY) },
    ],
    updates: [{ at: ago(2 * DAY), packs: 'unread' as const, size: 120 }],
  };
  const spec = { ...unmarked, marker: ago(HOUR) };

  it('groups the objects of an entry: root, updates, packs, marker; size and last access', () => {
    const { inventory } = fixture([spec]);
    const k = keysOf(spec);
    expect(inventory.entries).toHaveLength(1);
    const [entry] = inventory.entries;
    expect(entry).toMatchObject({
      entryDir: k.dir,
      repository: 'acme/app',
      scope: 'refs/heads/main',
      scopeKind: 'heads',
      key: 'linux-deps',
      bytes: 100 + 120 + 5000 + 700,
      lastAccess: ago(HOUR),
    });
    expect(entry?.root.object.key).toBe(k.root);
    expect(entry?.updates.map((u) => u.name)).toEqual([updateName(ago(2 * DAY), 1)]);
    expect(entry?.packs.map((p) => p.id)).toEqual(['base', 'delta']);
    expect(entry?.marker?.key).toBe(k.marker);
    expect(inventory.repositories).toEqual([{ repository: 'acme/app', bytes: 5920, objects: 5, entries: 1 }]);
    expect(inventory.objects).toBe(5);
  });

  it('takes the newest manifest or update as last access when there is no marker', () => {
    const { inventory } = fixture([unmarked]);
    expect(inventory.entries[0]?.lastAccess).toBe(ago(2 * DAY));
  });

  it('sorts updates by name (creation time) whatever the listing order', () => {
    const names = [updateName(ago(DAY), 2), updateName(ago(3 * DAY), 1), updateName(ago(2 * DAY), 3)];
    const { inventory } = fixture([
      {
        key: 'k',
        at: ago(4 * DAY),
        packs: [{ id: 'a' }],
        updates: names.map((name) => ({ name, at: ago(DAY), packs: ['a'] })),
      },
    ]);
    expect(inventory.entries[0]?.updates.map((u) => u.name)).toEqual([...names].sort());
  });

  it('puts directories without a root manifest, and lone markers, in orphans', () => {
    const { inventory } = fixture([
      { key: 'orphan', at: ago(DAY), noRoot: true, packs: [{ id: 'p' }], marker: ago(DAY) },
      { key: 'marker-only', at: 0, noRoot: true, marker: ago(DAY) },
    ]);
    expect(inventory.entries).toEqual([]);
    expect(inventory.orphans.map((o) => [o.key, o.packs.length, o.marker !== undefined])).toEqual([
      ['marker-only', 0, true],
      ['orphan', 1, true],
    ]);
    expect(inventory.repositories[0]?.entries).toBe(0);
  });

  it('classifies scope kinds from the layout', () => {
    const { inventory } = fixture(
      ['refs/heads/a', 'refs/pull/1/merge', 'refs/tags/v1', 'refs/remotes/x'].map((scope, i) => ({
        scope,
        key: `k${i}`,
        at: ago(DAY),
        packs: [{ id: 'p' }],
      })),
    );
    expect(inventory.entries.map((e) => [e.scope, e.scopeKind]).sort()).toEqual([
      ['refs/heads/a', 'heads'],
      ['refs/pull/1/merge', 'pull'],
      ['refs/remotes/x', 'other'],
      ['refs/tags/v1', 'tags'],
    ]);
  });

  it('counts but never attributes objects outside repositories', () => {
    const inventory = buildInventory(layout, [
      { key: '_s3cache/reports/x.json', size: 7, lastModified: new Date(0) },
      { key: 'junk', size: 3, lastModified: new Date(0) },
      { key: 'acme/app/heads/main/zzz/k/manifest.json', size: 5, lastModified: new Date(0) },
    ]);
    expect(inventory.ignoredObjects).toBe(2);
    expect(inventory.bytes).toBe(15);
    // A repository's unrecognised objects count towards its usage (and its cap) but form no entry.
    expect(inventory.repositories).toEqual([{ repository: 'acme/app', bytes: 5, objects: 1, entries: 0 }]);
    expect(inventory.entries).toEqual([]);
  });

  it('keeps unrecognised files inside an entry directory with the entry', () => {
    const k = keysOf({ key: 'k', at: 0 });
    const inventory = buildInventory(layout, [
      { key: k.root, size: 1, lastModified: new Date(1000) },
      { key: `${k.dir}packs/p.pack`, size: 1, lastModified: new Date(1000) },
      { key: `${k.dir}packs/p.pack.tmp`, size: 9, lastModified: new Date(1000) },
    ]);
    expect(inventory.entries[0]?.extras.map((x) => x.key)).toEqual([`${k.dir}packs/p.pack.tmp`]);
    expect(inventory.entries[0]?.bytes).toBe(11);
  });

  it('records multipart uploads with their entry directory', () => {
    const k = keysOf({ key: 'k', at: 0 });
    const inventory = buildInventory(
      layout,
      [],
      [{ key: k.pack('x'), uploadId: 'u', initiated: new Date(5) }],
    );
    expect(inventory.uploads).toEqual([
      { key: k.pack('x'), uploadId: 'u', initiated: 5, repository: 'acme/app', entryDir: k.dir },
    ]);
  });

  it('works under a bucket prefix', async () => {
    const { Layout } = await import('@s3cache/core');
    const prefixed = new Layout('team/cache');
    const dir = prefixed.entryDir({
      repository: 'Acme/App',
      scope: 'refs/heads/main',
      version: 'b'.repeat(64),
      key: 'k',
    });
    const builder = new InventoryBuilder(prefixed);
    builder.add({ key: prefixed.manifestKey(dir), size: 1, lastModified: new Date(0) });
    builder.add({ key: prefixed.packKey(dir, 'p'), size: 1, lastModified: new Date(0) });
    builder.add({ key: prefixed.markerKeyForEntryDir(dir), size: 1, lastModified: new Date(0) });
    const inventory = builder.finish();
    expect(
      inventory.entries.map((e) => [e.repository, e.entryDir, e.scopeKind, e.marker !== undefined]),
    ).toEqual([['acme/app', dir, 'heads', true]]);
  });
});

describe('manifestsToRead', () => {
  it('reads nothing for an entry saved once (one pack, no update): its pack is inferred', () => {
    const { inventory } = fixture([
      { key: 'simple', at: ago(DAY), packs: [{ id: 'p' }], rootPacks: 'unread' },
    ]);
    expect(inventory.entries[0]?.root.content).toEqual({ status: 'ok', packIds: ['p'], inferred: true });
    expect(manifestsToRead(inventory)).toEqual([]);
  });

  it('reads every generation of entries with updates or several packs, none of entries with no pack', () => {
    const withUpdate = {
      key: 'u',
      at: ago(DAY),
      rootPacks: 'unread' as const,
      packs: [{ id: 'a' }],
      updates: [{ at: ago(HOUR), packs: 'unread' as const }],
    };
    const twoPacks = {
      key: 't',
      at: ago(DAY),
      rootPacks: 'unread' as const,
      packs: [{ id: 'a' }, { id: 'b' }],
    };
    const noPack = { key: 'n', at: ago(DAY), rootPacks: 'unread' as const };
    const { inventory } = fixture([withUpdate, twoPacks, noPack]);
    expect(manifestsToRead(inventory).sort()).toEqual(
      [
        keysOf(withUpdate).root,
        keysOf(withUpdate).update(updateName(ago(HOUR), 1)),
        keysOf(twoPacks).root,
      ].sort(),
    );
  });

  it('withGenerationContents fills contents without touching other entries', () => {
    const a = { key: 'a', at: ago(DAY), rootPacks: 'unread' as const, packs: [{ id: 'x' }, { id: 'y' }] };
    const b = { key: 'b', at: ago(DAY), packs: [{ id: 'z' }] };
    const { inventory } = fixture([a, b]);
    const filled = withGenerationContents(
      inventory,
      new Map([[keysOf(a).root, { status: 'ok' as const, packIds: ['x'] }]]),
    );
    expect(filled.entries.find((e) => e.key === 'a')?.root.content).toEqual({ status: 'ok', packIds: ['x'] });
    expect(filled.entries.find((e) => e.key === 'b')).toBe(inventory.entries.find((e) => e.key === 'b'));
    expect(manifestsToRead(filled)).toEqual([]);
  });
});
