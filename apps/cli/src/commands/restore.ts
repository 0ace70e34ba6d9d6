import { type RestoreResult, restoreCache, S3CacheError, StoreError, ValidationError } from '@s3cache/core';
import { type Command, Option } from 'commander';
import { ExitCode, UsageError } from '../exit-codes.js';
import { formatRestore } from '../format/results.js';
import { commandHelp } from '../program.js';
import { addCacheOptions, type CacheFlags, entryVersion, pathLines } from './cache-options.js';
import { type Action, repeatable } from './run.js';

interface RestoreFlags extends CacheFlags {
  restoreKey?: string[];
  baseRef?: string;
  lookupOnly?: boolean;
  failOnCacheMiss?: boolean;
  timeout?: string;
}

export function registerRestore(program: Command, action: Action): void {
  const command = program
    .command('restore')
    .summary('restore files from the cache')
    .description(
      'Restores the entry matching --key, else the newest entry starting with it, else each ' +
        "--restore-key in order (exact, then newest with that prefix) — in the run's own scope, then " +
        "the pull request's base branch, then the default branch, exactly as actions/cache/restore. " +
        'A missing or corrupt entry is a miss with a warning; an unreachable store is an error (exit 1).',
    );
  addCacheOptions(command, 'restore')
    .option('-r, --restore-key <prefix>', 'fallback key or prefix, tried in order (repeatable)', repeatable)
    .option('--base-ref <branch>', 'base branch of a pull request, also read (default: GITHUB_BASE_REF)')
    .addOption(new Option('--lookup-only', 'only check that an entry exists; download nothing'))
    .addOption(new Option('--fail-on-cache-miss', 'exit 3 when no entry matches'))
    .option('--timeout <minutes>', 'give up on a download after this long, as a miss (default 10)')
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache restore --path node_modules --key npm-linux-0123abcd --restore-key npm-linux-
$ s3cache restore -p target -k cargo-v1 --ref refs/pull/42/merge --base-ref main --fail-on-cache-miss
$ s3cache restore -p ~/.gradle/caches -k gradle-abc --lookup-only --json | jq .cacheHit`),
    )
    .action(
      action<RestoreFlags>(async (ctx, flags) => {
        const paths = pathLines(flags);
        const lookupOnly = flags.lookupOnly === true;
        const failOnCacheMiss = flags.failOnCacheMiss === true;
        const restoreKeys = (flags.restoreKey ?? [])
          .flatMap((k) => k.split(/\r?\n/).map((l) => l.trim()))
          .filter(Boolean);
        const timeoutMs = parseTimeout(flags.timeout);
        const run = await ctx.runContext(flags);
        const { store, layout, location } = ctx.store();
        const version = entryVersion(paths, ctx.io.platform, flags.enableCrossOsArchive === true);
        ctx.out.debug(`restore: ${run.repository} scopes ${run.scopes.join(', ')} version ${version}`);
        const progress = ctx.out.progress('restore');
        let result: RestoreResult;
        try {
          result = await restoreCache(
            { store, layout, log: ctx.out.logger(), now: ctx.io.now },
            {
              repository: run.repository,
              scopes: run.scopes,
              version,
              primaryKey: flags.key,
              restoreKeys,
              paths,
              workspace: run.workspace,
              home: ctx.io.homedir,
              lookupOnly,
              ...(timeoutMs !== undefined ? { timeoutMs } : {}),
              onProgress: (downloaded, _raw, total) => progress.update(downloaded, total),
            },
          );
        } catch (err) {
          if (!isCacheContentProblem(err)) throw err;
          // As in the action: bad or vanished cache data is a miss, never a wrong restore.
          ctx.out.warn(`restore failed, treating it as a cache miss: ${(err as Error).message}`);
          result = missResult();
        } finally {
          progress.finish();
        }
        for (const line of formatRestore(result, flags.key, lookupOnly)) ctx.out.print(line);
        ctx.out.emitJson({
          command: 'restore',
          ok: result.matchedKey !== undefined || !failOnCacheMiss,
          store: location,
          repository: run.repository.toLowerCase(),
          scopes: run.scopes,
          version,
          primaryKey: flags.key,
          restoreKeys,
          lookupOnly,
          ...result,
          matchedKey: result.matchedKey ?? null,
          match: result.match ?? null,
          generation: result.generation ?? null,
        });
        if (!result.matchedKey && failOnCacheMiss) {
          ctx.out.error(`cache miss for key ${JSON.stringify(flags.key)} (--fail-on-cache-miss)`);
          ctx.exitCode = ExitCode.cacheMiss;
        }
      }),
    );
}

/**
 * Errors about the cache's content (missing or corrupt objects, unsafe archives, timeouts) are
 * misses. Invalid input and a store that cannot be reached or refuses us are real errors: a
 * script must notice a wrong bucket or missing credentials rather than run uncached forever.
 */
export function isCacheContentProblem(err: unknown): boolean {
  return err instanceof S3CacheError && !(err instanceof ValidationError || err instanceof StoreError);
}

function missResult(): RestoreResult {
  return {
    matchedKey: undefined,
    cacheHit: false,
    match: undefined,
    generation: undefined,
    downloadedBytes: 0,
    deltaBytes: 0,
    rawBytes: 0,
    lookupSeconds: 0,
    seconds: 0,
  };
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new UsageError(`--timeout must be a number of minutes, got ${value}`);
  return minutes * 60_000;
}
