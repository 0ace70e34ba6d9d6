import { entryVersion as coreEntryVersion, parseMultiline } from '@s3cache/core';
import { type Command, Option } from 'commander';
import { UsageError } from '../exit-codes.js';
import type { RunContextFlags } from '../options/run-context.js';
import { repeatable } from './run.js';

/** Options save and restore share: what to cache and which entry it is. */
export interface CacheFlags extends RunContextFlags {
  path: string[];
  key: string;
  enableCrossOsArchive?: boolean;
}

export function addCacheOptions(command: Command, verb: 'save' | 'restore'): Command {
  return command
    .requiredOption('-k, --key <key>', `the cache key to ${verb} (at most 512 characters, no commas)`)
    .option(
      '-p, --path <pattern>',
      'file, directory or glob to cache; repeatable, newline-separated lists accepted, "!" excludes (required)',
      repeatable,
    )
    .option(
      '--repository <owner/repo>',
      'repository the entry belongs to (default: GITHUB_REPOSITORY, git origin, local/<dir>)',
    )
    .option(
      '--ref <ref>',
      'git ref of the run: its scope (default: GITHUB_REF, refs/heads/<branch>, refs/heads/main)',
    )
    .option('--default-branch <branch>', "the repository's default branch (default: origin's HEAD, main)")
    .option(
      '--workspace <dir>',
      'directory relative paths are resolved against (default: GITHUB_WORKSPACE, cwd)',
    )
    .addOption(
      new Option(
        '--enable-cross-os-archive',
        'share entries between Windows and other systems (part of the entry version, as in actions/cache)',
      ),
    );
}

/** The `path` lines, parsed as the action parses its multiline input. */
export function pathLines(flags: Pick<CacheFlags, 'path'>): string[] {
  const lines = (flags.path ?? []).flatMap((value) => parseMultiline(value));
  if (lines.length === 0) throw new UsageError('--path is required (at least one file, directory or glob)');
  return lines;
}

/**
 * The entry version: the same hash the action computes for the same `path` lines, so an entry
 * saved by a workflow can be restored from a laptop and back. The compression component is
 * `zstd`, as the manifest records it.
 */
export function entryVersion(paths: readonly string[], platform: NodeJS.Platform, crossOs: boolean): string {
  return coreEntryVersion(paths, { platform, enableCrossOsArchive: crossOs });
}
