import type { ListedEntry } from '../inventory/inventory.js';
import { formatBytes } from './bytes.js';
import { formatAge } from './duration.js';
import { formatTable } from './table.js';

/** The entries table of `ls` and `rm`. */
export function formatEntriesTable(entries: readonly ListedEntry[], now: Date): string {
  return formatTable(
    [
      { header: 'REPOSITORY' },
      { header: 'SCOPE' },
      { header: 'KEY' },
      { header: 'VERSION' },
      { header: 'SIZE', align: 'right' },
      { header: 'GEN', align: 'right' },
      { header: 'CREATED' },
      { header: 'LAST ACCESS' },
    ],
    entries.map((e) => [
      e.repository,
      e.scope,
      e.key ?? '(unreadable long key)',
      e.version.slice(0, 8),
      formatBytes(e.bytes),
      String(1 + e.updates.length),
      formatAge(e.createdAt, now),
      e.lastAccessAt ? formatAge(e.lastAccessAt, now) : 'never',
    ]),
  );
}

export function entriesSummary(entries: readonly ListedEntry[]): string {
  const bytes = entries.reduce((sum, e) => sum + e.bytes, 0);
  return `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, ${formatBytes(bytes)}`;
}

/** The JSON form of an entry: ISO times, the scope as a ref, no listing internals. */
export function entryJson(e: ListedEntry): Record<string, unknown> {
  return {
    repository: e.repository,
    scope: e.scope,
    key: e.key ?? null,
    version: e.version,
    bytes: e.bytes,
    objects: e.objects,
    generations: 1 + e.updates.length,
    createdAt: e.createdAt.toISOString(),
    lastAccessAt: e.lastAccessAt?.toISOString() ?? null,
    entryDir: e.entryDir,
  };
}
