import { describe, expect, it } from 'vitest';
import { formatBytes, formatList, formatPercent, formatRate, formatSeconds } from '../src/format.js';
import { ProgressLog } from '../src/progress.js';
import { escapeHtml, summaryRows } from '../src/summary.js';

describe('formatting', () => {
  it('formats sizes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(4_200_000_000)).toBe('4.2 GB');
    expect(formatBytes(-1)).toBe('-');
  });

  it('formats rates, durations, percentages and key lists', () => {
    expect(formatRate(250_000_000, 2)).toBe('125 MB/s');
    expect(formatRate(1_000_000, 4)).toBe('0.3 MB/s');
    expect(formatRate(10, 0)).toBe('-');
    expect(formatRate(0, 3)).toBe('-');
    expect(formatSeconds(0.1234)).toBe('0.12 s');
    expect(formatSeconds(42.25)).toBe('42.3 s');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatPercent(1, 4)).toBe('25.0%');
    expect(formatList([])).toBe('(none)');
    expect(formatList(['a', 'b c'])).toBe('"a", "b c"');
  });
});

describe('job summary', () => {
  it('renders one row per cache with key, match, result, size, rate and delta savings', () => {
    const rows = summaryRows([
      {
        step: 'restore',
        key: 'deps-<1>',
        matchedKey: 'deps-',
        result: 'restore-key hit',
        bytes: 50_000_000,
        seconds: 0.5,
        note: 'scope refs/heads/main',
      },
      {
        step: 'save',
        key: 'deps-<1>',
        result: 'delta',
        bytes: 2_000_000,
        seconds: 1,
        savedByDeltas: 48_000_000,
      },
      { step: 'restore', key: 'k', result: 'miss' },
    ]);
    expect(rows[0]?.map((c) => c.data)).toEqual([
      'Step',
      'Key',
      'Matched key',
      'Result',
      'Size',
      'Rate',
      'Saved by deltas',
      'Time',
      'Note',
    ]);
    expect(rows[0]?.every((c) => c.header)).toBe(true);
    expect(rows.slice(1).map((row) => row.map((c) => c.data))).toEqual([
      [
        'restore',
        '<code>deps-&#60;1&#62;</code>',
        '<code>deps-</code>',
        'restore-key hit',
        '50.0 MB',
        '100 MB/s',
        '-',
        '0.50 s',
        'scope refs/heads/main',
      ],
      ['save', '<code>deps-&#60;1&#62;</code>', '-', 'delta', '2.0 MB', '2.0 MB/s', '48.0 MB', '1.00 s', '-'],
      ['restore', '<code>k</code>', '-', 'miss', '-', '-', '-', '-', '-'],
    ]);
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('progress', () => {
  it('logs at most once per interval, with rate and percentage', () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new ProgressLog(
      'Received',
      (m) => lines.push(m),
      5_000,
      () => now,
    );
    now = 1_000;
    progress.update(1_000_000, 10_000_000);
    now = 5_000;
    progress.update(20_000_000, 40_000_000);
    now = 6_000;
    progress.update(21_000_000, 40_000_000);
    now = 10_000;
    progress.update(30_000_000);
    expect(lines).toEqual(['Received 20.0 MB of 40.0 MB (50.0%), 4.0 MB/s', 'Received 30.0 MB, 3.0 MB/s']);
  });
});
