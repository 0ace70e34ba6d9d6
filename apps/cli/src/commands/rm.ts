import { normalizeRepository } from '@s3cache/core';
import { type Command, Option } from 'commander';
import { ExitCode, UsageError } from '../exit-codes.js';
import { formatBytes } from '../format/bytes.js';
import { entriesSummary, entryJson, formatEntriesTable } from '../format/entries.js';
import { deleteEntries } from '../inventory/delete-entries.js';
import { loadInventory } from '../inventory/load.js';
import { matchesFilter, normalizeFilter } from '../inventory/select.js';
import { commandHelp } from '../program.js';
import { addFilterOptions, type FilterFlags, filterOf } from './filter-options.js';
import { describeFilter } from './ls.js';
import type { Action } from './run.js';

interface RmFlags extends FilterFlags {
  yes?: boolean;
  dryRun?: boolean;
}

export function registerRm(program: Command, action: Action): void {
  const command = program
    .command('rm')
    .alias('delete')
    .summary('delete cache entries')
    .description(
      'Deletes the entries selected by --key, --key-prefix or --scope (combined with AND, narrowed by ' +
        '--repository). Shows what will be deleted and asks for confirmation on a terminal; without a ' +
        'terminal it needs --yes. Each entry loses its manifest first, so no restore sees half of it.',
    );
  addFilterOptions(command, true)
    .addOption(new Option('-y, --yes', 'delete without asking'))
    .addOption(new Option('-n, --dry-run', 'show what would be deleted and stop'))
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache rm --key npm-linux-0123abcd
$ s3cache rm --store s3://ci-cache --repository acme/app --scope refs/pull/42/merge --yes
$ s3cache rm --key-prefix gradle- --dry-run`),
    )
    .action(
      action<RmFlags>(async (ctx, flags) => {
        if (flags.key === undefined && flags.keyPrefix === undefined && flags.scope === undefined) {
          throw new UsageError('rm needs --key, --key-prefix or --scope (and optionally --repository)');
        }
        if (flags.repository) normalizeRepository(flags.repository);
        const filter = normalizeFilter(filterOf(flags));
        const { store, layout, location } = ctx.store();
        const inventory = await loadInventory(store, layout, filter.repository);
        const selected = inventory.entries.filter((e) => matchesFilter(e, filter));
        if (selected.length === 0) {
          ctx.out.print(`nothing to delete: no entries in ${location}${describeFilter(flags)}`);
          ctx.out.emitJson({
            command: 'rm',
            ok: true,
            store: location,
            dryRun: flags.dryRun === true,
            deleted: [],
            failed: [],
          });
          return;
        }
        // The listing is shown whenever somebody may have to decide, also under --json (on stderr).
        const listing = `${formatEntriesTable(selected, ctx.io.now())}\n\n${entriesSummary(selected)} in ${location}`;
        if (flags.dryRun) {
          ctx.out.print(listing);
          ctx.out.print('dry run: nothing deleted');
          ctx.out.emitJson({
            command: 'rm',
            ok: true,
            store: location,
            dryRun: true,
            wouldDelete: selected.map(entryJson),
          });
          return;
        }
        if (!flags.yes) {
          if (!ctx.io.stdinIsTTY) {
            throw new UsageError(
              `refusing to delete ${entriesSummary(selected)} without confirmation: no terminal to ask on; pass --yes`,
            );
          }
          ctx.io.stderr.write(`${listing}\n\n`);
          const answer = await ctx.io.confirm(`Delete ${entriesSummary(selected)}? [y/N] `);
          if (!answer) {
            ctx.out.info('nothing deleted');
            ctx.exitCode = ExitCode.usage;
            ctx.out.emitJson({
              command: 'rm',
              ok: false,
              store: location,
              aborted: true,
              deleted: [],
              failed: [],
            });
            return;
          }
        } else {
          ctx.out.print(listing);
        }
        const outcome = await deleteEntries(store, selected);
        ctx.out.print(
          `deleted ${outcome.deleted.length} ${outcome.deleted.length === 1 ? 'entry' : 'entries'} (${outcome.objects} objects, ${formatBytes(outcome.bytes)})`,
        );
        for (const { entry, reason } of outcome.failed) {
          ctx.out.error(
            `could not delete ${entry.repository} ${entry.scope} ${entry.key ?? entry.entryDir}: ${reason}`,
          );
        }
        if (outcome.failed.length > 0) ctx.exitCode = ExitCode.failure;
        ctx.out.emitJson({
          command: 'rm',
          ok: outcome.failed.length === 0,
          store: location,
          dryRun: false,
          deleted: outcome.deleted.map(entryJson),
          failed: outcome.failed.map((f) => ({ ...entryJson(f.entry), reason: f.reason })),
          objects: outcome.objects,
          bytes: outcome.bytes,
        });
      }),
    );
}
