import {
  describeError,
  formatPlan,
  type JanitorLogger,
  runJanitor,
  S3PrefixLister,
} from '@s3cache/janitor-lambda';
import { type Command, Option } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { formatBytes } from '../format/bytes.js';
import { loadPolicy, type PolicyFlags } from '../options/policy.js';
import type { Reporter } from '../output/reporter.js';
import { commandHelp } from '../program.js';
import type { Action } from './run.js';

interface JanitorFlags extends PolicyFlags {
  apply?: boolean;
  maxRows?: string;
}

export function registerJanitor(program: Command, action: Action): void {
  program
    .command('janitor')
    .summary('plan (and with --apply, run) the cache eviction')
    .description(
      'Runs the janitor the Lambda runs on a schedule. By default a dry run: lists the store, plans ' +
        'with the policy and prints what would be deleted and why (superseded generations, orphans, ' +
        'idle pull-request entries, idle entries, entries evicted for a cap). --apply deletes. ' +
        'The policy comes from --policy, else S3CACHE_POLICY (as for the Lambda), else the defaults.',
    )
    .addOption(new Option('--apply', 'delete what the plan lists (default: dry run)'))
    .option('--policy <json|file>', 'janitor policy: inline JSON or a JSON file')
    .option('--cap <size>', 'default per-repository cap, e.g. 10GiB (overrides the policy)')
    .option('--max-rows <n>', 'rows of the plan table to print (the totals are always complete)')
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache janitor --store s3://ci-cache
$ s3cache janitor --store s3://ci-cache --policy '{"maxIdleDays":3,"repositories":{"acme/app":{"capBytes":"20GiB"}}}'
$ s3cache janitor --store s3://ci-cache --cap 5GiB --apply`),
    )
    .action(
      action<JanitorFlags>(async (ctx, flags) => {
        const policy = await loadPolicy(flags, ctx.io.env, ctx.io.cwd);
        const { store, layout, location, s3 } = ctx.store();
        const run = await runJanitor({
          store,
          layout,
          policy,
          dryRun: flags.apply !== true,
          now: ctx.io.now(),
          clock: ctx.io.now,
          log: janitorLogger(ctx.out),
          // Delimiter listings let S3 list repositories in parallel; a directory lists fast anyway.
          ...(s3 ? { prefixLister: new S3PrefixLister(s3.client, s3.bucket) } : {}),
          metrics: false,
        });
        const maxRows = flags.maxRows !== undefined ? Number(flags.maxRows) : undefined;
        ctx.out.print(
          formatPlan(run.plan, maxRows !== undefined && Number.isFinite(maxRows) ? { maxRows } : {}),
        );
        ctx.out.print();
        const execution = run.execution;
        if (!execution) {
          ctx.out.print(`dry run on ${location}: nothing deleted. Run again with --apply to delete.`);
        } else {
          ctx.out.print(
            `deleted ${execution.objectsDeleted} objects (${formatBytes(execution.bytesDeleted)}), ` +
              `${execution.entriesDeleted} entries; ${execution.uploadsAborted} uploads aborted` +
              (execution.entriesKept > 0 ? `; ${execution.entriesKept} entries kept (used meanwhile)` : ''),
          );
          for (const failure of execution.failures) ctx.out.error(`${failure.key}: ${failure.reason}`);
          if (execution.failureCount > 0) ctx.exitCode = ExitCode.failure;
        }
        ctx.out.emitJson({
          command: 'janitor',
          ok: (execution?.failureCount ?? 0) === 0,
          store: location,
          dryRun: flags.apply !== true,
          report: run.report,
          plan: {
            items: run.plan.items.map((item) => ({
              reason: item.reason,
              repository: item.repository,
              scope: item.scope,
              key: item.key ?? null,
              wholeEntry: item.wholeEntry,
              objects: item.objects.length + (item.guard ? 1 : 0),
              bytes: item.bytes,
              lastAccess: new Date(item.lastAccess).toISOString(),
            })),
            aborts: run.plan.aborts.map((a) => ({ ...a, initiated: new Date(a.initiated).toISOString() })),
          },
        });
      }),
    );
}

/** The janitor's structured log lines become debug notes (warnings stay warnings). */
function janitorLogger(out: Reporter): JanitorLogger {
  // Errors do not survive JSON.stringify: describe them (name, message, causes) first.
  const line = (message: string, fields?: Record<string, unknown>) =>
    fields && Object.keys(fields).length > 0
      ? `${message} ${JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? describeError(value) : value))}`
      : message;
  return {
    debug: (m, f) => out.debug(line(m, f)),
    info: (m, f) => out.debug(line(m, f)),
    warn: (m, f) => out.warn(line(m, f)),
    error: (m, f) => out.error(line(m, f)),
  };
}
