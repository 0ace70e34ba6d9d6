import type { StatsReport } from '../stats/usage.js';
import { formatBytes, formatPercent } from './bytes.js';
import { formatAge } from './duration.js';
import { formatTable } from './table.js';

export function formatStatsTable(report: StatsReport, now: Date): string {
  const rows = report.repositories.map((r) => [
    r.repository,
    String(r.entries),
    formatBytes(r.bytes),
    formatBytes(r.capBytes),
    `${formatPercent(r.usage)}${r.usage > 1 ? ' OVER' : ''}`,
    `${r.hits}/${r.entries}`,
    r.lastAccessAt ? formatAge(r.lastAccessAt, now) : 'never',
  ]);
  rows.push([
    'total',
    String(report.totals.entries),
    formatBytes(report.totals.bytes),
    '',
    '',
    `${report.totals.hits}/${report.totals.entries}`,
    '',
  ]);
  return formatTable(
    [
      { header: 'REPOSITORY' },
      { header: 'ENTRIES', align: 'right' },
      { header: 'SIZE', align: 'right' },
      { header: 'CAP', align: 'right' },
      { header: 'USED', align: 'right' },
      { header: 'RESTORED', align: 'right' },
      { header: 'LAST ACCESS' },
    ],
    rows,
  );
}
