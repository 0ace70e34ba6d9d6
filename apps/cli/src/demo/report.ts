import { formatBytes, formatPercent, formatRate } from '../format/bytes.js';
import { formatDuration } from '../format/duration.js';

export interface PhaseResult {
  name: string;
  /** What happened, in a few words. */
  summary: string;
  seconds: number;
  /** Bytes the phase processed, for a rate (undefined: no rate). */
  rateBytes?: number | undefined;
}

/** Column widths fixed in advance: phases are printed as they finish, not as one table at the end. */
const NAME = 8;
const SUMMARY = 74;

/** One phase as an aligned line: `save      full: 139 MiB → 61.4 MiB stored ...   3.21 s   43.4 MB/s`. */
export function formatPhase(p: PhaseResult): string {
  const rate = p.rateBytes !== undefined ? formatRate(p.rateBytes, p.seconds) : '';
  return `${p.name.padEnd(NAME)}  ${p.summary.padEnd(SUMMARY)}  ${formatDuration(p.seconds).padStart(8)}  ${rate.padStart(10)}`.trimEnd();
}

/** `16.1 MiB uploaded instead of 61.5 MiB (74% less)`. */
export function formatDeltaSavings(uploadedBytes: number, fullBytes: number): string {
  const saved = fullBytes > 0 ? 1 - uploadedBytes / fullBytes : 0;
  return `${formatBytes(uploadedBytes)} uploaded instead of ${formatBytes(fullBytes)} (${formatPercent(saved)} less)`;
}
