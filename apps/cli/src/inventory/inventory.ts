import type { Layout, ObjectInfo } from '@s3cache/core';

/**
 * A cache entry as a listing shows it: no GETs, so `ls` and `stats` stay cheap on large buckets.
 * Manifests are immutable, so the root manifest's LastModified is the entry's creation time;
 * the access marker's LastModified is its last restore.
 */
export interface ListedEntry {
  repository: string;
  /** The git ref, e.g. `refs/heads/main`. */
  scope: string;
  version: string;
  /** Undefined when the object key holds a hash-truncated key (see `resolveTruncatedKeys`). */
  key: string | undefined;
  entryDir: string;
  manifest: ObjectInfo;
  /** Later generations (delta or rebase manifests). */
  updates: ObjectInfo[];
  packs: ObjectInfo[];
  marker: ObjectInfo | undefined;
  /** Unrecognised objects inside the entry directory: they go when the entry goes. */
  others: ObjectInfo[];
  /** Every object of the entry, access marker included. */
  bytes: number;
  objects: number;
  createdAt: Date;
  lastAccessAt: Date | undefined;
}

/** Objects under an entry directory (or a marker) whose root manifest does not exist. */
export interface OrphanGroup {
  repository: string;
  entryDir: string;
  objects: ObjectInfo[];
  bytes: number;
}

export interface RepositoryTotals {
  repository: string;
  /** Every object under the repository's root, orphans included: what counts against a cap. */
  bytes: number;
  objects: number;
}

export interface Inventory {
  entries: ListedEntry[];
  orphans: OrphanGroup[];
  repositories: RepositoryTotals[];
}

interface Group {
  repository: string;
  scope: string;
  version: string;
  key: string | undefined;
  entryDir: string;
  manifest: ObjectInfo | undefined;
  updates: ObjectInfo[];
  packs: ObjectInfo[];
  marker: ObjectInfo | undefined;
  others: ObjectInfo[];
}

/** Groups a listing into entries. Objects outside any repository (`_s3cache/`, foreign keys) are ignored. */
export function buildInventory(objects: Iterable<ObjectInfo>, layout: Layout): Inventory {
  const groups = new Map<string, Group>();
  const totals = new Map<string, RepositoryTotals>();
  const orphanOnly = new Map<string, OrphanGroup>();
  for (const object of objects) {
    const parsed = layout.parse(object.key);
    if (parsed.role === 'reserved' || parsed.repository === undefined) continue;
    const total = totals.get(parsed.repository) ?? { repository: parsed.repository, bytes: 0, objects: 0 };
    total.bytes += object.size;
    total.objects++;
    totals.set(parsed.repository, total);
    const { entryDir, scope, version } = parsed;
    if (entryDir === undefined || scope === undefined || version === undefined) {
      // Under a repository but not inside any entry: count it, show it as an orphan.
      const orphan = orphanOnly.get(object.key) ?? {
        repository: parsed.repository,
        entryDir: object.key,
        objects: [],
        bytes: 0,
      };
      orphan.objects.push(object);
      orphan.bytes += object.size;
      orphanOnly.set(object.key, orphan);
      continue;
    }
    let group = groups.get(entryDir);
    if (!group) {
      group = {
        repository: parsed.repository,
        scope,
        version,
        key: parsed.key,
        entryDir,
        manifest: undefined,
        updates: [],
        packs: [],
        marker: undefined,
        others: [],
      };
      groups.set(entryDir, group);
    }
    if (parsed.role === 'manifest') group.manifest = object;
    else if (parsed.role === 'update') group.updates.push(object);
    else if (parsed.role === 'pack') group.packs.push(object);
    else if (parsed.role === 'marker') group.marker = object;
    else group.others.push(object);
  }

  const entries: ListedEntry[] = [];
  const orphans: OrphanGroup[] = [...orphanOnly.values()];
  for (const group of groups.values()) {
    const all = [...group.updates, ...group.packs, ...group.others];
    if (group.marker) all.push(group.marker);
    if (!group.manifest) {
      orphans.push({
        repository: group.repository,
        entryDir: group.entryDir,
        objects: all,
        bytes: sum(all),
      });
      continue;
    }
    all.push(group.manifest);
    entries.push({
      ...group,
      manifest: group.manifest,
      bytes: sum(all),
      objects: all.length,
      createdAt: group.manifest.lastModified,
      lastAccessAt: group.marker?.lastModified,
    });
  }
  entries.sort(compareEntries);
  return {
    entries,
    orphans,
    repositories: [...totals.values()].sort((a, b) => cmp(a.repository, b.repository)),
  };
}

/** Repository, then scope, then newest first: the order a restore would consider them. */
export function compareEntries(a: ListedEntry, b: ListedEntry): number {
  return (
    cmp(a.repository, b.repository) ||
    cmp(a.scope, b.scope) ||
    b.createdAt.getTime() - a.createdAt.getTime() ||
    cmp(a.key ?? '', b.key ?? '')
  );
}

/** Whether the entry was restored after it was saved: its access marker is newer than its manifest. */
export function wasRestored(entry: ListedEntry): boolean {
  return (
    entry.marker !== undefined && entry.marker.lastModified.getTime() > entry.manifest.lastModified.getTime()
  );
}

function sum(objects: readonly ObjectInfo[]): number {
  return objects.reduce((total, o) => total + o.size, 0);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
