import * as core from '@actions/core';
import { formatBytes, formatRate, formatSeconds } from './format.js';

/** What one step did with one cache, for the job summary. */
export interface CacheReport {
  step: 'restore' | 'save';
  key: string;
  /** Restore: the key restored (exact or restore-key match). */
  matchedKey?: string;
  /** Short outcome: `hit`, `miss`, `partial hit`, `saved`, `delta`, `unchanged`, `skipped`, ... */
  result: string;
  /** Bytes transferred (compressed). */
  bytes?: number;
  seconds?: number;
  /** Compressed bytes not uploaded because the entry already had them (delta saves). */
  savedByDeltas?: number;
  /** Extra context: the scope, why it was skipped, the warning. */
  note?: string;
}

export interface SummaryCell {
  data: string;
  header?: boolean;
}

const HEADER = ['Step', 'Key', 'Matched key', 'Result', 'Size', 'Rate', 'Saved by deltas', 'Time', 'Note'];

/** The summary table (a header row and one row per report). Pure. */
export function summaryRows(reports: readonly CacheReport[]): SummaryCell[][] {
  const header = HEADER.map((data) => ({ data, header: true }));
  const rows = reports.map((r) => {
    const cells = [
      r.step,
      code(r.key),
      r.matchedKey ? code(r.matchedKey) : '-',
      r.result,
      r.bytes !== undefined ? formatBytes(r.bytes) : '-',
      r.bytes !== undefined && r.seconds !== undefined ? formatRate(r.bytes, r.seconds) : '-',
      r.savedByDeltas ? formatBytes(r.savedByDeltas) : '-',
      r.seconds !== undefined ? formatSeconds(r.seconds) : '-',
      // core.summary renders an empty cell as an unclosed <td>: never leave one empty.
      r.note ? escapeHtml(r.note) : '-',
    ];
    return cells.map((data) => ({ data }));
  });
  return [header, ...rows];
}

/** The table is HTML (core.summary renders tables as HTML): keys are escaped and set as code. */
function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Appends the table to the job summary. A summary that cannot be written (no
 * GITHUB_STEP_SUMMARY, e.g. on old runners) is not worth a warning: debug only.
 */
export async function writeSummary(report: CacheReport): Promise<void> {
  try {
    await core.summary
      .addHeading(`s3cache ${report.step}`, 3)
      .addTable(summaryRows([report]))
      .write();
  } catch (err) {
    core.debug(`Job summary not written: ${(err as Error).message}`);
  }
}
