import { normalizeRepository } from '@s3cache/core';
import type { Command } from 'commander';
import { entriesSummary, entryJson, formatEntriesTable } from '../format/entries.js';
import { loadInventory } from '../inventory/load.js';
import { matchesFilter, normalizeFilter } from '../inventory/select.js';
import { commandHelp } from '../program.js';
import { addFilterOptions, type FilterFlags, filterOf } from './filter-options.js';
import type { Action } from './run.js';

export function registerLs(program: Command, action: Action): void {
  const command = program
    .command('ls')
    .alias('list')
    .summary('list cache entries')
    .description(
      'Lists cache entries with their size (all generations and the access marker), creation time, ' +
        'last restore and scope. Reads only the bucket listing, no objects, so it is cheap on large buckets.',
    );
  addFilterOptions(command, false)
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache ls
$ s3cache ls --store s3://ci-cache --repository acme/app --scope main
$ s3cache ls --key-prefix npm- --json | jq -r '.entries[].key'`),
    )
    .action(
      action<FilterFlags>(async (ctx, flags) => {
        if (flags.repository) normalizeRepository(flags.repository);
        const filter = normalizeFilter(filterOf(flags));
        const { store, layout, location } = ctx.store();
        const inventory = await loadInventory(store, layout, filter.repository);
        const entries = inventory.entries.filter((e) => matchesFilter(e, filter));
        const now = ctx.io.now();
        if (entries.length === 0) {
          ctx.out.print(`no cache entries in ${location}${describeFilter(flags)}`);
        } else {
          ctx.out.print(formatEntriesTable(entries, now));
          ctx.out.print();
          ctx.out.print(`${entriesSummary(entries)} in ${location}`);
        }
        ctx.out.emitJson({
          command: 'ls',
          ok: true,
          store: location,
          entries: entries.map(entryJson),
          totalBytes: entries.reduce((sum, e) => sum + e.bytes, 0),
        });
      }),
    );
}

export function describeFilter(flags: FilterFlags): string {
  const parts = [
    flags.repository && `repository ${flags.repository}`,
    flags.scope && `scope ${flags.scope}`,
    flags.key !== undefined && `key ${JSON.stringify(flags.key)}`,
    flags.keyPrefix !== undefined && `key prefix ${JSON.stringify(flags.keyPrefix)}`,
  ].filter(Boolean);
  return parts.length > 0 ? ` matching ${parts.join(', ')}` : '';
}
