import { defaultWorkerScript, saveCache } from '@s3cache/core';
import type { Command } from 'commander';
import { formatSave } from '../format/results.js';
import { commandHelp } from '../program.js';
import { addCacheOptions, type CacheFlags, entryVersion, pathLines } from './cache-options.js';
import type { Action } from './run.js';

interface SaveFlags extends CacheFlags {
  /** False with --no-deltas. */
  deltas: boolean;
}

export function registerSave(program: Command, action: Action): void {
  const command = program
    .command('save')
    .summary('save files to the cache under a key')
    .description(
      'Saves the files matched by --path under --key, in the scope of --ref (as actions/cache/save). ' +
        'First write wins: an existing entry is never overwritten. With deltas (the default) saving an ' +
        'existing key again uploads only the chunks that changed, as a newer generation of the entry.',
    );
  addCacheOptions(command, 'save')
    .option('--no-deltas', 'do not add a delta to an existing entry: an existing key is left alone')
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache save --path node_modules --key npm-linux-$(sha256sum package-lock.json | cut -c1-16)
$ s3cache save --path ~/.cache/ccache --path '!~/.cache/ccache/tmp' --key ccache-main --no-deltas
$ s3cache --store s3://ci-cache/team save -p target -k cargo-v1 --repository acme/app --ref refs/heads/main`),
    )
    .action(
      action<SaveFlags>(async (ctx, flags) => {
        const paths = pathLines(flags);
        const run = await ctx.runContext(flags);
        const { store, layout, location } = ctx.store();
        const version = entryVersion(paths, ctx.io.platform, flags.enableCrossOsArchive === true);
        ctx.out.debug(`save: ${run.repository} ${run.ref} version ${version} workspace ${run.workspace}`);
        const progress = ctx.out.progress('save');
        const result = await (async () => {
          try {
            return await saveCache(
              {
                store,
                layout,
                log: ctx.out.logger(),
                now: ctx.io.now,
                worker: defaultWorkerScript(),
              },
              {
                repository: run.repository,
                scope: run.ref,
                version,
                key: flags.key,
                paths,
                workspace: run.workspace,
                home: ctx.io.homedir,
                useDeltas: flags.deltas,
                onProgress: (raw) => progress.update(raw),
              },
            );
          } finally {
            progress.finish();
          }
        })();
        if (result.outcome === 'empty') ctx.out.warn('no file matched the --path patterns: nothing saved');
        for (const line of formatSave(result, { repository: run.repository, scope: run.ref, location })) {
          ctx.out.print(line);
        }
        ctx.out.emitJson({
          command: 'save',
          ok: true,
          store: location,
          repository: run.repository.toLowerCase(),
          scope: run.ref,
          version,
          paths,
          ...result,
        });
      }),
    );
}
