import { type CheckResult, type CheckStatus, summarize } from './checks.js';

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** The doctor report for people: one line per check, details and fixes indented below problems. */
export function formatDoctorReport(location: string, results: readonly CheckResult[]): string {
  const lines = [`doctor  ${location}`, ''];
  for (const r of results) {
    lines.push(`  ${LABEL[r.status]}  ${r.title}${r.status === 'ok' ? `: ${r.detail}` : ''}`);
    if (r.status !== 'ok') {
      lines.push(`        ${r.detail}`);
      if (r.fix) {
        const [first, ...rest] = r.fix.split('\n');
        lines.push(`        fix: ${first ?? ''}`);
        for (const line of rest) lines.push(`             ${line}`);
      }
    }
  }
  const counts = summarize(results);
  lines.push(
    '',
    `${counts.fail} failed, ${counts.warn} ${counts.warn === 1 ? 'warning' : 'warnings'}, ${counts.ok} ok`,
  );
  return lines.join('\n');
}
