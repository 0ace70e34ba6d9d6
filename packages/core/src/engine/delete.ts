import type { EntryRef } from '../layout/layout.js';
import { collect } from '../store/store.js';
import { type CacheContext, resolved } from './context.js';

export interface DeleteEntryResult {
  /** Whether the entry existed (its manifest was there). */
  existed: boolean;
  deletedObjects: number;
}

/**
 * Deletes one entry: the manifest first, so no reader can match a half-deleted entry, then its
 * updates and packs, then its access marker. Idempotent; a crash midway leaves at worst
 * unreferenced packs that the janitor sweeps.
 */
export async function deleteEntry(ctx: CacheContext, ref: EntryRef): Promise<DeleteEntryResult> {
  const { store, layout } = resolved(ctx);
  const entryDir = layout.entryDir(ref);
  return deleteEntryDir(ctx, entryDir, (await store.head(layout.manifestKey(entryDir))) !== undefined);
}

/** As deleteEntry, for an entry directory found in a listing. */
export async function deleteEntryDir(
  ctx: CacheContext,
  entryDir: string,
  existed = true,
): Promise<DeleteEntryResult> {
  const { store, layout } = resolved(ctx);
  const check = (failed: { key: string; reason: string }[]) => {
    const first = failed[0];
    if (first) throw new Error(`could not delete ${first.key}: ${first.reason}`);
  };
  const manifest = await store.deleteObjects([{ key: layout.manifestKey(entryDir) }]);
  check(manifest.failed);
  const rest = (await collect(store.list(entryDir))).map((o) => ({ key: o.key }));
  rest.push({ key: layout.markerKeyForEntryDir(entryDir) });
  const others = await store.deleteObjects(rest);
  check(others.failed);
  return { existed, deletedObjects: (existed ? 1 : 0) + others.deleted.length };
}
