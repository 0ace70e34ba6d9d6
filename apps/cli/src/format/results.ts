import type { RestoreResult, SaveResult } from '@s3cache/core';
import { formatBytes, formatPercent, formatRate } from './bytes.js';
import { formatDuration } from './duration.js';

export interface EntryWhere {
  repository: string;
  scope: string;
  location: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** What a save did, for people. */
export function formatSave(result: SaveResult, where: EntryWhere): string[] {
  const head = `${where.repository}  ${where.scope}  key ${JSON.stringify(result.key)}`;
  const transfer = `${count(result.items)} items, ${formatBytes(result.rawBytes)} → uploaded ${formatBytes(result.uploadedBytes)} in ${formatDuration(result.seconds)} (${formatRate(result.rawBytes, result.seconds)})`;
  switch (result.outcome) {
    case 'saved':
      return [`saved    ${head}`, `  ${transfer}`, `  store: ${where.location}`];
    case 'delta':
    case 'rebased': {
      const saved = result.entryBytes > 0 ? 1 - result.uploadedBytes / result.entryBytes : 0;
      return [
        `${result.outcome === 'delta' ? 'delta  ' : 'rebased'}  ${head}`,
        `  ${transfer}`,
        result.outcome === 'delta'
          ? `  delta: ${formatBytes(result.uploadedBytes)} of a ${formatBytes(result.entryBytes)} entry (${formatPercent(saved)} not re-uploaded, ${count(result.reusedChunks)}/${count(result.totalChunks)} chunks reused)`
          : '  the delta had grown too large or the base too old: wrote a new full generation',
      ];
    }
    case 'unchanged':
      return [
        `unchanged  ${head}`,
        `  nothing new to upload (${count(result.items)} items, ${formatBytes(result.rawBytes)})`,
      ];
    case 'exists':
      return [
        `exists   ${head}`,
        '  the entry already exists and deltas are off: first write wins, nothing saved',
      ];
    case 'empty':
      return [`nothing to save  ${head}`, '  no file matched the --path patterns'];
  }
}

/** What a restore did, for people. */
export function formatRestore(result: RestoreResult, primaryKey: string, lookupOnly: boolean): string[] {
  if (!result.matchedKey)
    return [`miss     no entry for key ${JSON.stringify(primaryKey)} or its restore keys`];
  const how = result.cacheHit ? 'exact key' : describeHow(result.match?.how);
  const verb = lookupOnly ? 'found   ' : 'restored';
  const where = `key ${JSON.stringify(result.matchedKey)}  (${how}, scope ${result.match?.scope ?? '?'})`;
  const lines = [`${verb} ${where}`, `  cache-hit: ${result.cacheHit}`];
  if (lookupOnly) {
    lines.push(
      `  ${formatBytes(result.rawBytes)} (${formatBytes(result.downloadedBytes)} stored); --lookup-only, nothing downloaded`,
    );
  } else {
    const delta = result.deltaBytes > 0 ? `, ${formatBytes(result.deltaBytes)} of it from a delta` : '';
    lines.push(
      `  ${formatBytes(result.rawBytes)} from ${formatBytes(result.downloadedBytes)} downloaded${delta} in ${formatDuration(result.seconds)} (${formatRate(result.rawBytes, result.seconds)})`,
    );
  }
  return lines;
}

function describeHow(how: string | undefined): string {
  switch (how) {
    case 'prefix':
      return 'newest entry starting with the key';
    case 'restore-key':
      return 'restore key';
    case 'restore-key-prefix':
      return 'newest entry starting with a restore key';
    default:
      return 'exact key';
  }
}
