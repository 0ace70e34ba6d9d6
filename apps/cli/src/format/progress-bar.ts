import { formatBytes } from './bytes.js';

export interface ProgressState {
  label: string;
  done: number;
  /** Unknown totals render as a byte counter without a bar. */
  total: number | undefined;
  /** Seconds since the operation started, for the rate. */
  elapsed: number;
}

/**
 * One line of a progress bar sized to the terminal:
 * `restore  [██████████░░░░░░░░░░]  52%  1.20 GiB / 2.31 GiB  180 MB/s`.
 */
export function renderProgressLine(state: ProgressState, columns: number): string {
  const rate = state.elapsed > 0.2 ? `  ${(state.done / 1e6 / state.elapsed).toFixed(0)} MB/s` : '';
  if (state.total === undefined || state.total <= 0) {
    return truncate(`${state.label}  ${formatBytes(state.done)}${rate}`, columns);
  }
  const fraction = Math.min(1, Math.max(0, state.done / state.total));
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const counts = `${formatBytes(state.done)} / ${formatBytes(state.total)}`;
  const fixed = `${state.label}  []  ${pct}  ${counts}${rate}`;
  const barWidth = Math.max(0, Math.min(30, columns - [...fixed].length - 1));
  const filled = Math.round(fraction * barWidth);
  const bar = barWidth > 0 ? `[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}]  ` : '';
  return truncate(`${state.label}  ${bar}${pct}  ${counts}${rate}`, columns);
}

/** A plain log line for non-interactive output (no bar, no carriage returns). */
export function renderProgressText(state: ProgressState): string {
  const share =
    state.total !== undefined && state.total > 0
      ? ` of ${formatBytes(state.total)} (${Math.floor((Math.min(state.done, state.total) / state.total) * 100)}%)`
      : '';
  return `${state.label}: ${formatBytes(state.done)}${share}`;
}

function truncate(text: string, columns: number): string {
  const chars = [...text];
  return chars.length <= columns ? text : chars.slice(0, Math.max(0, columns - 1)).join('');
}
