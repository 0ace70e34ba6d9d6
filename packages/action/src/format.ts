/** Human-readable numbers for logs and the job summary. Decimal units: 1 MB = 1,000,000 B. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** Bytes per second as MB/s; '-' when there is nothing meaningful to divide. */
export function formatRate(bytes: number, seconds: number): string {
  if (!(seconds > 0) || !(bytes > 0)) return '-';
  const mbps = bytes / seconds / 1e6;
  return `${mbps.toFixed(mbps >= 100 ? 0 : 1)} MB/s`;
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return '-';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

/** A list of keys for a log line: quoted, comma-separated, or `(none)`. */
export function formatList(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.map((item) => JSON.stringify(item)).join(', ');
}
