import { collect, type Layout, normalizeRepository, parseManifest, type Store } from '@s3cache/core';
import { buildInventory, type Inventory } from './inventory.js';

const MANIFEST_READS_IN_FLIGHT = 8;

/**
 * Lists the store (one repository's root when given, else everything under the layout's prefix)
 * and groups it into entries.
 */
export async function loadInventory(store: Store, layout: Layout, repository?: string): Promise<Inventory> {
  const prefix = repository ? layout.repositoryRoot(normalizeRepository(repository)) : layout.prefix;
  const inventory = buildInventory(await collect(store.list(prefix)), layout);
  await resolveTruncatedKeys(store, inventory);
  return inventory;
}

/**
 * Keys too long to spell out in an object key are hash-truncated; only their manifest knows
 * them. These are rare, so reading their manifests keeps the listing-only promise in practice.
 */
export async function resolveTruncatedKeys(store: Store, inventory: Inventory): Promise<void> {
  const unknown = inventory.entries.filter((e) => e.key === undefined);
  for (let i = 0; i < unknown.length; i += MANIFEST_READS_IN_FLIGHT) {
    await Promise.all(
      unknown.slice(i, i + MANIFEST_READS_IN_FLIGHT).map(async (entry) => {
        try {
          entry.key = parseManifest(await store.getObject(entry.manifest.key), entry.manifest.key).key;
        } catch {
          // Unreadable: listed without a key; never matched by a key filter.
        }
      }),
    );
  }
}
