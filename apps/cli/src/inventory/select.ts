import { toRef } from '../git/git-context.js';
import type { ListedEntry } from './inventory.js';

export interface EntryFilter {
  /** `owner/repo`, compared case-insensitively (the layout lower-cases it). */
  repository?: string | undefined;
  /** A git ref; a bare branch name means `refs/heads/<name>`. */
  scope?: string | undefined;
  /** Exact key (case-sensitive, as stored). */
  key?: string | undefined;
  keyPrefix?: string | undefined;
}

export function normalizeFilter(filter: EntryFilter): EntryFilter {
  return {
    ...(filter.repository ? { repository: filter.repository.toLowerCase() } : {}),
    ...(filter.scope ? { scope: toRef(filter.scope) } : {}),
    ...(filter.key !== undefined ? { key: filter.key } : {}),
    ...(filter.keyPrefix !== undefined ? { keyPrefix: filter.keyPrefix } : {}),
  };
}

/** All given criteria must hold. Entries whose key is still unknown (hash-truncated) never match a key filter. */
export function matchesFilter(entry: ListedEntry, filter: EntryFilter): boolean {
  if (filter.repository !== undefined && entry.repository !== filter.repository) return false;
  if (filter.scope !== undefined && entry.scope !== filter.scope) return false;
  if (filter.key !== undefined && entry.key !== filter.key) return false;
  if (filter.keyPrefix !== undefined && !(entry.key ?? '').startsWith(filter.keyPrefix)) return false;
  if ((filter.key !== undefined || filter.keyPrefix !== undefined) && entry.key === undefined) return false;
  return true;
}
