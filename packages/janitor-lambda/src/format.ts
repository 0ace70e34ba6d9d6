import { DELETION_REASONS, type Plan, summarizePlan } from './planner.js';

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** 93784000 ms -> "1d 2h". Two largest units: enough to compare ages at a glance. */
export function formatAge(ms: number): string {
  if (ms < 0) return `-${formatAge(-ms)}`;
  const parts: [number, string][] = [
    [Math.floor(ms / 86_400_000), 'd'],
    [Math.floor(ms / 3_600_000) % 24, 'h'],
    [Math.floor(ms / 60_000) % 60, 'm'],
    [Math.floor(ms / 1000) % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

function formatTime(ms: number): string {
  return ms > 0 ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z` : '-';
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function clipStart(text: string, width: number): string {
  return text.length <= width ? text : `…${text.slice(text.length - width + 1)}`;
}

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface FormatPlanOptions {
  /** Rows of the deletion table at most (the summary is always complete). */
  maxRows?: number;
  /** Width of the key column (default 48). */
  keyWidth?: number;
}

/**
 * The plan as an operator reads it in a dry run: one row per entry or orphan group (reason,
 * repository, scope, key, objects, size, last access, age), then totals per reason and the
 * bytes of each repository before and after.
 */
export function formatPlan(plan: Plan, options: FormatPlanOptions = {}): string {
  const keyWidth = options.keyWidth ?? 48;
  const rows: string[][] = [];
  for (const item of plan.items) {
    const objects = item.objects.length + (item.guard ? 1 : 0);
    rows.push([
      item.reason,
      item.repository,
      item.scope.replace(/^refs\//, ''),
      clip(item.key ?? `(${item.entryDir.split('/').slice(-2, -1)[0] ?? ''})`, keyWidth),
      item.wholeEntry ? `${objects} (entry)` : String(objects),
      formatBytes(item.bytes),
      formatTime(item.lastAccess),
      formatAge(plan.now - item.lastAccess),
    ]);
  }
  for (const upload of plan.aborts) {
    rows.push([
      upload.reason,
      upload.repository ?? '-',
      '-',
      // The object key's end names the entry and file; its start is in the other columns.
      clipStart(upload.key, keyWidth),
      '1 (upload)',
      '-',
      formatTime(upload.initiated),
      formatAge(plan.now - upload.initiated),
    ]);
  }
  const out: string[] = [`Janitor plan at ${new Date(plan.now).toISOString()}`, ''];
  if (rows.length === 0) {
    out.push('Nothing to delete.');
  } else {
    const shown = options.maxRows !== undefined ? rows.slice(0, options.maxRows) : rows;
    out.push(
      table(
        ['REASON', 'REPOSITORY', 'SCOPE', 'KEY', 'OBJECTS', 'SIZE', 'LAST ACCESS', 'AGE'],
        shown,
        new Set([4, 5, 7]),
      ),
    );
    if (shown.length < rows.length) out.push(`… and ${rows.length - shown.length} more`);
  }

  const summary = summarizePlan(plan);
  const reasonRows = DELETION_REASONS.filter((r) => summary[r].items > 0).map((r) => [
    r,
    String(summary[r].items),
    String(summary[r].entries),
    String(summary[r].objects),
    formatBytes(summary[r].bytes),
  ]);
  if (reasonRows.length > 0) {
    out.push(
      '',
      table(['REASON', 'ITEMS', 'ENTRIES', 'OBJECTS', 'BYTES'], reasonRows, new Set([1, 2, 3, 4])),
    );
  }
  const repoRows = plan.repositories.map((r) => [
    r.repository,
    formatBytes(r.capBytes),
    formatBytes(r.bytesBefore),
    formatBytes(r.bytesAfter),
    `${r.entriesBefore} -> ${r.entriesAfter}`,
  ]);
  if (repoRows.length > 0) {
    out.push('', table(['REPOSITORY', 'CAP', 'BEFORE', 'AFTER', 'ENTRIES'], repoRows, new Set([1, 2, 3])));
  }
  out.push(
    '',
    `Total: ${formatBytes(plan.bytesBefore)} -> ${formatBytes(plan.bytesAfter)}, ` +
      `${plan.entriesBefore} -> ${plan.entriesAfter} entries` +
      (plan.keptInGrace > 0 ? `, ${plan.keptInGrace} in use (within the grace period)` : '') +
      (plan.unresolved > 0 ? `, ${plan.unresolved} not judged (manifest not readable)` : ''),
  );
  return out.join('\n');
}
