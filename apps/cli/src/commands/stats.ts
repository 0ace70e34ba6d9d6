import { normalizeRepository } from '@s3cache/core';
import { repositoryLimits } from '@s3cache/janitor-lambda';
import type { Command } from 'commander';
import { formatStatsTable } from '../format/stats.js';
import { loadInventory } from '../inventory/load.js';
import { loadPolicy, type PolicyFlags } from '../options/policy.js';
import { commandHelp } from '../program.js';
import { computeStats } from '../stats/usage.js';
import type { Action } from './run.js';

interface StatsFlags extends PolicyFlags {
  repository?: string;
}

export function registerStats(program: Command, action: Action): void {
  program
    .command('stats')
    .summary('usage per repository against its cap')
    .description(
      'Shows, per repository: entries, bytes stored (everything under its prefix), its cap and how ' +
        'full it is, how many entries were restored since they were saved, and the last restore. ' +
        'The cap comes from --cap, else the janitor policy (--policy or S3CACHE_POLICY), else 10 GiB.',
    )
    .option('--repository <owner/repo>', 'only this repository')
    .option('--cap <size>', 'cap to compare against, e.g. 10GiB (default: from the janitor policy)')
    .option('--policy <json|file>', 'janitor policy (inline JSON or a file), for per-repository caps')
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache stats
$ s3cache stats --store s3://ci-cache --policy janitor-policy.json
$ s3cache stats --repository acme/app --cap 20GiB --json`),
    )
    .action(
      action<StatsFlags>(async (ctx, flags) => {
        if (flags.repository) normalizeRepository(flags.repository);
        const policy = await loadPolicy(flags, ctx.io.env, ctx.io.cwd);
        const { store, layout, location } = ctx.store();
        const inventory = await loadInventory(store, layout, flags.repository);
        const report = computeStats(inventory, (repository) => repositoryLimits(policy, repository).capBytes);
        if (report.repositories.length === 0) ctx.out.print(`no cache entries in ${location}`);
        else {
          ctx.out.print(formatStatsTable(report, ctx.io.now()));
          ctx.out.print();
          ctx.out.print(`store: ${location}`);
          for (const r of report.repositories.filter((r) => r.usage > 1)) {
            ctx.out.warn(
              `${r.repository} is over its cap: the janitor will evict least-recently-used entries`,
            );
          }
        }
        ctx.out.emitJson({
          command: 'stats',
          ok: true,
          store: location,
          repositories: report.repositories.map((r) => ({
            ...r,
            lastAccessAt: r.lastAccessAt?.toISOString() ?? null,
          })),
          totals: report.totals,
        });
      }),
    );
}
