import type { Command } from 'commander';
import type { EntryFilter } from '../inventory/select.js';

export interface FilterFlags {
  repository?: string;
  scope?: string;
  key?: string;
  keyPrefix?: string;
}

export function addFilterOptions(command: Command, withKey: boolean): Command {
  command
    .option('--repository <owner/repo>', 'only entries of this repository')
    .option('--scope <ref>', 'only entries of this git ref (a bare name means refs/heads/<name>)');
  if (withKey) command.option('--key <key>', 'only the entries with exactly this key');
  return command.option('--key-prefix <prefix>', 'only entries whose key starts with this');
}

export function filterOf(flags: FilterFlags): EntryFilter {
  return { repository: flags.repository, scope: flags.scope, key: flags.key, keyPrefix: flags.keyPrefix };
}
