import { rm } from 'node:fs/promises';
import { collect, type Layout, type Store } from '@s3cache/core';
import { formatBytes } from '../format/bytes.js';
import { deleteEntries } from '../inventory/delete-entries.js';
import { loadInventory } from '../inventory/load.js';
import type { Reporter } from '../output/reporter.js';

export interface CleanUpOptions {
  temp: string;
  repository: string;
  keep: boolean;
  store: Store;
  layout: Layout;
  /** How to name the store in a hint (`--store ...`), empty for the default store. */
  storeArgs: string;
  out: Reporter;
}

/**
 * The demo's temp dirs always go; its store entry (everything under its unique repository) unless
 * --keep. Problems are warnings: the demo's verdict is about the round trip, not the cleanup.
 * Returns a line for the report.
 */
export async function cleanUp(opts: CleanUpOptions): Promise<string> {
  const { out, store, layout, repository } = opts;
  try {
    await rm(opts.temp, { recursive: true, force: true });
  } catch (err) {
    out.warn(`could not remove ${opts.temp}: ${(err as Error).message}`);
  }
  if (opts.keep) {
    const s = opts.storeArgs ? `${opts.storeArgs} ` : '';
    return `kept the demo entry: try \`s3cache ${s}ls --repository ${repository}\`, then \`s3cache ${s}rm --repository ${repository} --key-prefix ccache- --yes\``;
  }
  try {
    const inventory = await loadInventory(store, layout, repository);
    const outcome = await deleteEntries(store, inventory.entries);
    // Whatever else is under the demo's repository (an interrupted save's pack) goes too.
    const rest = await collect(store.list(layout.repositoryRoot(repository)));
    if (rest.length > 0) await store.deleteObjects(rest.map((o) => ({ key: o.key })));
    const bytes = outcome.bytes + rest.reduce((sum, o) => sum + o.size, 0);
    return `cleaned up: removed the demo entry (${outcome.objects + rest.length} objects, ${formatBytes(bytes)}) and temp files`;
  } catch (err) {
    out.warn(`could not remove the demo entry of ${repository}: ${(err as Error).message}`);
    return 'cleaned up the temp files; the demo entry may remain in the store';
  }
}
