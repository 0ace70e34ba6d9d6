import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collect,
  type DeleteRequest,
  type DeleteResult,
  DirStore,
  Layout,
  type ObjectInfo,
  type Store,
} from '@s3cache/core';
import { describe, expect, it } from 'vitest';
import { computeStats } from '../stats/usage.js';
import { deleteEntries } from './delete-entries.js';
import { buildInventory, wasRestored } from './inventory.js';
import { matchesFilter, normalizeFilter } from './select.js';

const layout = new Layout('p');
const version = 'c'.repeat(64);
const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));
const obj = (key: string, size: number, seconds: number): ObjectInfo => ({
  key,
  size,
  lastModified: at(seconds),
});

/** The objects of one entry: manifest, a pack, optionally an update, a second pack and a marker. */
function entryObjects(
  repository: string,
  scope: string,
  key: string,
  opts: { marker?: number; update?: boolean } = {},
) {
  const dir = layout.entryDir({ repository, scope, version, key });
  const objects = [obj(layout.manifestKey(dir), 100, 10), obj(layout.packKey(dir, 'p1'), 1000, 5)];
  if (opts.update)
    objects.push(obj(layout.updateKey(dir, 'u1'), 90, 20), obj(layout.packKey(dir, 'p2'), 300, 19));
  if (opts.marker !== undefined) objects.push(obj(layout.markerKeyForEntryDir(dir), 60, opts.marker));
  return objects;
}

describe('buildInventory', () => {
  const listing = [
    ...entryObjects('acme/app', 'refs/heads/main', 'npm-1', { marker: 30, update: true }),
    ...entryObjects('acme/app', 'refs/pull/4/merge', 'npm-pr'),
    ...entryObjects('other/lib', 'refs/heads/main', 'npm-1', { marker: 10 }),
    // A pack whose manifest is gone (a half-deleted entry, or an upload in flight).
    obj(
      layout.packKey(
        layout.entryDir({ repository: 'acme/app', scope: 'refs/heads/main', version, key: 'gone' }),
        'p9',
      ),
      500,
      1,
    ),
    // Not part of any repository.
    obj('p/_s3cache/reports/r.json', 10, 1),
    obj('elsewhere/x', 10, 1),
  ];
  const inventory = buildInventory(listing, layout);

  it('groups objects into entries with sizes, creation and last access', () => {
    expect(inventory.entries.map((e) => `${e.repository} ${e.scope} ${e.key}`)).toEqual([
      'acme/app refs/heads/main npm-1',
      'acme/app refs/pull/4/merge npm-pr',
      'other/lib refs/heads/main npm-1',
    ]);
    const main = inventory.entries[0];
    expect(main).toMatchObject({
      bytes: 100 + 1000 + 90 + 300 + 60,
      objects: 5,
      createdAt: at(10),
      lastAccessAt: at(30),
    });
    expect(main?.updates).toHaveLength(1);
    expect(inventory.entries[1]?.lastAccessAt).toBeUndefined();
  });

  it('keeps objects without a root manifest apart, and counts them against the repository', () => {
    expect(inventory.orphans.map((o) => [o.repository, o.bytes])).toEqual([['acme/app', 500]]);
    expect(inventory.repositories).toEqual([
      { repository: 'acme/app', bytes: 1550 + 1100 + 500, objects: 8 },
      { repository: 'other/lib', bytes: 1160, objects: 3 },
    ]);
  });

  it('counts an entry as restored only when its marker is newer than its manifest', () => {
    expect(inventory.entries.map(wasRestored)).toEqual([true, false, false]);
  });

  it('computes per-repository stats against caps', () => {
    const stats = computeStats(inventory, (repository) => (repository === 'acme/app' ? 2000 : 10_000));
    expect(stats.repositories).toEqual([
      expect.objectContaining({
        repository: 'acme/app',
        entries: 2,
        bytes: 3150,
        capBytes: 2000,
        usage: 1.575,
        hits: 1,
        unused: 1,
        lastAccessAt: at(30),
      }),
      expect.objectContaining({ repository: 'other/lib', entries: 1, hits: 0, lastAccessAt: at(10) }),
    ]);
    expect(stats.totals).toEqual({ entries: 3, bytes: 4310, hits: 1 });
  });

  it('filters on repository (any case), scope (bare branch names allowed), key and key prefix', () => {
    const pick = (filter: Parameters<typeof normalizeFilter>[0]) =>
      inventory.entries
        .filter((e) => matchesFilter(e, normalizeFilter(filter)))
        .map((e) => `${e.repository} ${e.key}`);
    expect(pick({ repository: 'ACME/App' })).toEqual(['acme/app npm-1', 'acme/app npm-pr']);
    expect(pick({ scope: 'main' })).toEqual(['acme/app npm-1', 'other/lib npm-1']);
    expect(pick({ scope: 'refs/pull/4/merge' })).toEqual(['acme/app npm-pr']);
    expect(pick({ key: 'npm-1', repository: 'other/lib' })).toEqual(['other/lib npm-1']);
    expect(pick({ keyPrefix: 'npm-p' })).toEqual(['acme/app npm-pr']);
    expect(pick({ key: 'NPM-1' })).toEqual([]);
  });

  it('never matches a key filter against an entry whose key is unknown', () => {
    const entry = { ...(inventory.entries[0] as (typeof inventory.entries)[0]), key: undefined };
    expect(matchesFilter(entry, { keyPrefix: '' })).toBe(false);
    expect(matchesFilter(entry, { repository: 'acme/app' })).toBe(true);
  });
});

/** A store that records delete calls and fails the keys it is told to. */
class RecordingStore {
  readonly calls: string[][] = [];
  constructor(private readonly failing: ReadonlySet<string> = new Set()) {}
  async deleteObjects(requests: DeleteRequest[]): Promise<DeleteResult> {
    this.calls.push(requests.map((r) => r.key));
    return {
      deleted: requests.filter((r) => !this.failing.has(r.key)).map((r) => r.key),
      failed: requests
        .filter((r) => this.failing.has(r.key))
        .map((r) => ({ key: r.key, reason: 'AccessDenied' })),
    };
  }
}

describe('deleteEntries', () => {
  const listing = [
    ...entryObjects('acme/app', 'refs/heads/main', 'a', { marker: 30, update: true }),
    ...entryObjects('acme/app', 'refs/heads/main', 'b'),
  ];
  const entries = buildInventory(listing, layout).entries;

  it('deletes every manifest first, then the rest of each entry', async () => {
    const store = new RecordingStore();
    const outcome = await deleteEntries(store as unknown as Store, entries);
    expect(store.calls).toHaveLength(2);
    expect(store.calls[0]?.every((key) => key.endsWith('/manifest.json'))).toBe(true);
    expect(store.calls[0]).toHaveLength(2);
    expect(store.calls[1]?.some((key) => key.endsWith('/manifest.json'))).toBe(false);
    expect(outcome).toMatchObject({
      objects: listing.length,
      bytes: listing.reduce((s, o) => s + o.size, 0),
      failed: [],
    });
    expect(outcome.deleted.map((e) => e.key)).toEqual(['a', 'b']);
  });

  it('keeps the data of an entry whose manifest could not be deleted', async () => {
    const blocked = entries.find((e) => e.key === 'b')?.manifest.key as string;
    const store = new RecordingStore(new Set([blocked]));
    const outcome = await deleteEntries(store as unknown as Store, entries);
    expect(store.calls[1]?.some((key) => key.includes('/b/'))).toBe(false);
    expect(outcome.deleted.map((e) => e.key)).toEqual(['a']);
    expect(outcome.failed).toEqual([
      expect.objectContaining({ reason: 'manifest not deleted: AccessDenied' }),
    ]);
  });

  it('reports an entry that is hidden but not fully deleted', async () => {
    const pack = entries.find((e) => e.key === 'a')?.packs[0]?.key as string;
    const outcome = await deleteEntries(new RecordingStore(new Set([pack])) as unknown as Store, entries);
    expect(outcome.failed).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('1 object(s) remain') }),
    ]);
  });

  it('does nothing for nothing', async () => {
    const store = new RecordingStore();
    expect(await deleteEntries(store as unknown as Store, [])).toEqual({
      deleted: [],
      failed: [],
      objects: 0,
      bytes: 0,
    });
    expect(store.calls).toEqual([]);
  });

  it('works on a real directory store', async () => {
    const root = await mkdtemp(join(tmpdir(), 's3cache-inv-'));
    try {
      const store = new DirStore(root);
      for (const o of listing) await store.putObject(o.key, Buffer.alloc(o.size));
      const live = buildInventory(await collect(store.list('')), layout);
      expect(live.entries).toHaveLength(2);
      await deleteEntries(store, live.entries);
      expect(await collect(store.list(''))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
