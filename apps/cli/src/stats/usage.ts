import { type Inventory, wasRestored } from '../inventory/inventory.js';

export interface RepositoryStats {
  repository: string;
  entries: number;
  /** Every object under the repository's root (what a cap is measured against). */
  bytes: number;
  capBytes: number;
  /** bytes / capBytes. */
  usage: number;
  /** Entries restored at least once since they were saved. */
  hits: number;
  /** The newest access marker: the last restore from this repository's cache. */
  lastAccessAt: Date | undefined;
  /** Entries that were never restored. */
  unused: number;
}

export interface StatsReport {
  repositories: RepositoryStats[];
  totals: { entries: number; bytes: number; hits: number };
}

/** Per-repository usage against its cap, from a listing alone. Pure. */
export function computeStats(inventory: Inventory, capFor: (repository: string) => number): StatsReport {
  const byRepository = new Map<string, RepositoryStats>();
  for (const total of inventory.repositories) {
    const capBytes = capFor(total.repository);
    byRepository.set(total.repository, {
      repository: total.repository,
      entries: 0,
      bytes: total.bytes,
      capBytes,
      usage: capBytes > 0 ? total.bytes / capBytes : Number.POSITIVE_INFINITY,
      hits: 0,
      lastAccessAt: undefined,
      unused: 0,
    });
  }
  for (const entry of inventory.entries) {
    const stats = byRepository.get(entry.repository);
    if (!stats) continue;
    stats.entries++;
    if (wasRestored(entry)) stats.hits++;
    else stats.unused++;
    if (entry.lastAccessAt && (!stats.lastAccessAt || entry.lastAccessAt > stats.lastAccessAt)) {
      stats.lastAccessAt = entry.lastAccessAt;
    }
  }
  const repositories = [...byRepository.values()];
  return {
    repositories,
    totals: {
      entries: repositories.reduce((n, r) => n + r.entries, 0),
      bytes: repositories.reduce((n, r) => n + r.bytes, 0),
      hits: repositories.reduce((n, r) => n + r.hits, 0),
    },
  };
}
