import type { DeleteRequest, Store } from '@s3cache/core';
import type { ListedEntry } from './inventory.js';

export interface DeleteOutcome {
  /** Entries gone completely. */
  deleted: ListedEntry[];
  /** Entries whose manifest could not be deleted (still visible) or whose data partly remains. */
  failed: { entry: ListedEntry; reason: string }[];
  objects: number;
  bytes: number;
}

/**
 * Deletes entries manifest first: once the root manifest is gone no restore can find the entry,
 * so no reader ever sees a manifest whose packs are missing. Only objects seen in the listing are
 * deleted; anything a concurrent save writes meanwhile (a new pack id) is left alone. An entry
 * whose manifest could not be deleted keeps its data.
 */
export async function deleteEntries(store: Store, entries: readonly ListedEntry[]): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], failed: [], objects: 0, bytes: 0 };
  if (entries.length === 0) return outcome;
  const size = new Map<string, number>();
  for (const entry of entries) {
    for (const o of [
      entry.manifest,
      ...entry.updates,
      ...entry.packs,
      ...entry.others,
      ...(entry.marker ? [entry.marker] : []),
    ]) {
      size.set(o.key, o.size);
    }
  }
  const count = (keys: readonly string[]) => {
    outcome.objects += keys.length;
    for (const key of keys) outcome.bytes += size.get(key) ?? 0;
  };

  const first = await store.deleteObjects(entries.map((e) => ({ key: e.manifest.key })));
  count(first.deleted);
  const manifestFailures = new Map(first.failed.map((f) => [f.key, f.reason]));
  const hidden = entries.filter((e) => !manifestFailures.has(e.manifest.key));
  for (const entry of entries) {
    const reason = manifestFailures.get(entry.manifest.key);
    if (reason !== undefined) outcome.failed.push({ entry, reason: `manifest not deleted: ${reason}` });
  }

  const rest: DeleteRequest[] = hidden.flatMap((e) =>
    [...e.updates, ...e.packs, ...e.others, ...(e.marker ? [e.marker] : [])].map((o) => ({ key: o.key })),
  );
  const second = rest.length > 0 ? await store.deleteObjects(rest) : { deleted: [], failed: [] };
  count(second.deleted);
  const leftovers = new Map(second.failed.map((f) => [f.key, f.reason]));
  for (const entry of hidden) {
    const left = [...entry.updates, ...entry.packs, ...entry.others, ...(entry.marker ? [entry.marker] : [])]
      .map((o) => leftovers.get(o.key))
      .filter((r): r is string => r !== undefined);
    if (left.length > 0) {
      outcome.failed.push({ entry, reason: `hidden, but ${left.length} object(s) remain: ${left[0]}` });
    } else {
      outcome.deleted.push(entry);
    }
  }
  return outcome;
}
