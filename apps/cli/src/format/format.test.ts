import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent, formatRate, parseBytes } from './bytes.js';
import { formatAge, formatDuration } from './duration.js';
import { renderProgressLine, renderProgressText } from './progress-bar.js';
import { formatTable } from './table.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [812, '812 B'],
    [1536, '1.50 KiB'],
    [10 * 1024 ** 2 + 1, '10.0 MiB'],
    [137 * 1024 ** 2, '137 MiB'],
    [10 * 1024 ** 3, '10.0 GiB'],
    [1023.9 * 1024, '1024 KiB'],
    [-2048, '-2.00 KiB'],
  ])('%d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('parseBytes', () => {
  it.each([
    ['10GiB', 10 * 1024 ** 3],
    ['10 GiB', 10 * 1024 ** 3],
    ['500MB', 500e6],
    ['1.5g', 1.5 * 1024 ** 3],
    ['1048576', 1048576],
    ['2k', 2048],
  ])('%s → %d', (text, bytes) => expect(parseBytes(text)).toBe(bytes));
  it.each(['', 'lots', '10 parsecs', '-1GiB', '1e3'])('rejects %j', (text) =>
    expect(parseBytes(text)).toBeUndefined(),
  );
});

describe('rates and percentages', () => {
  it('prints MB/s, and nothing meaningful for instant operations', () => {
    expect(formatRate(150e6, 2)).toBe('75.0 MB/s');
    expect(formatRate(500e6, 2)).toBe('250 MB/s');
    expect(formatRate(1, 0)).toBe('– MB/s');
  });
  it('keeps small percentages visible', () => {
    expect(formatPercent(0.874)).toBe('87%');
    expect(formatPercent(0.004)).toBe('0.4%');
    expect(formatPercent(0)).toBe('0%');
  });
});

describe('durations and ages', () => {
  it.each([
    [0.42, '420 ms'],
    [3.456, '3.46 s'],
    [42.3, '42.3 s'],
    [125, '2 min 05 s'],
    [3780, '1 h 03 min'],
  ])('%d s → %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('says how long ago', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const ago = (ms: number) => formatAge(new Date(now.getTime() - ms), now);
    expect(ago(1000)).toBe('just now');
    expect(ago(45_000)).toBe('45 s ago');
    expect(ago(12 * 60_000)).toBe('12 min ago');
    expect(ago(3 * 3_600_000)).toBe('3 h ago');
    expect(ago(5 * 86_400_000)).toBe('5 d ago');
    expect(ago(-60_000)).toBe('in the future');
  });
});

describe('formatTable', () => {
  it('aligns columns, right-aligns numbers and leaves no trailing spaces', () => {
    const table = formatTable(
      [{ header: 'KEY' }, { header: 'SIZE', align: 'right' }, { header: 'NOTE' }],
      [
        ['npm-🚀', '1.00 KiB', ''],
        ['a-much-longer-key', '12 B', 'x'],
      ],
    );
    expect(table.split('\n')).toEqual([
      'KEY                    SIZE  NOTE',
      'npm-🚀              1.00 KiB',
      'a-much-longer-key      12 B  x',
    ]);
  });
});

describe('progress rendering', () => {
  it('draws a bar that fits the terminal', () => {
    const line = renderProgressLine(
      { label: 'restore', done: 512 * 1024 ** 2, total: 1024 ** 3, elapsed: 2 },
      80,
    );
    expect(line).toMatch(/^restore {2}\[█+░+\] +50% {2}512 MiB \/ 1\.00 GiB {2}268 MB\/s$/);
    expect([...line].length).toBeLessThanOrEqual(80);
    expect(
      [...renderProgressLine({ label: 'x', done: 1, total: 2, elapsed: 0 }, 40)].length,
    ).toBeLessThanOrEqual(40);
  });
  it('counts bytes when the total is unknown', () => {
    expect(
      renderProgressLine({ label: 'save', done: 3 * 1024 ** 2, total: undefined, elapsed: 0.1 }, 80),
    ).toBe('save  3.00 MiB');
  });
  it('writes plain lines for logs', () => {
    expect(renderProgressText({ label: 'save', done: 1024, total: 4096, elapsed: 9 })).toBe(
      'save: 1.00 KiB of 4.00 KiB (25%)',
    );
  });
});
