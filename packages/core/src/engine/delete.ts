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
  // List before deleting anything: a save that starts meanwhile writes packs this listing does
  // not hold, and they must survive for its manifest to be valid.
  const listed = (await collect(store.list(entryDir))).map((o) => ({ key: o.key }));
  const manifestKey = layout.manifestKey(entryDir);
  const manifest = await store.deleteObjects([{ key: manifestKey }]);
  check(manifest.failed);
  const rest = listed.filter((o) => o.key !== manifestKey);
  rest.push({ key: layout.markerKeyForEntryDir(entryDir) });
  const others = await store.deleteObjects(rest);
  check(others.failed);
  return { existed, deletedObjects: (existed ? 1 : 0) + others.deleted.length };
}
