const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Binary units, as operators compare against caps set in GiB: `0 B`, `812 B`, `1.5 KiB`, `10.0 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${sign}${value} B`;
  // Three significant digits at most, but never "1024.0 KiB" after rounding.
  const text = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${sign}${text} ${UNITS[unit]}`;
}

/**
 * Throughput in decimal MB/s, the unit transfer speeds are published in (see the README's
 * comparison with GitHub's cache). Undefined when the time is too short to mean anything.
 */
export function formatRate(bytes: number, seconds: number): string {
  if (!(seconds > 0.001)) return '– MB/s';
  const mbps = bytes / 1e6 / seconds;
  return `${mbps >= 100 ? mbps.toFixed(0) : mbps.toFixed(1)} MB/s`;
}

/** `87%` for a ratio, with one decimal below 10 % so small savings are not rounded to zero. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  const pct = ratio * 100;
  return `${pct < 10 && pct > 0 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1e3,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1e12,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size as people write it: `10GiB`, `500 MB`, `1.5g`, `1048576`. Bare single-letter
 * units are binary (what `du -h` and friends print). Undefined when it is not a size.
 */
export function parseBytes(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match?.[1]) return undefined;
  const unit = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
