import { describe, expect, it } from 'vitest';
import { createPlan, formatAge, formatBytes, formatPlan } from '../src/index.js';
import { ago, DAY, fixture, HOUR, keysOf, MINUTE, NOW, policy } from './support/fixtures.js';

describe('formatPlan', () => {
  it('prints a table an operator can read, with totals per reason and repository', () => {
    const f = fixture(
      [
        {
          key: 'Linux-node-deps-abc',
          at: ago(10 * DAY),
          packs: [{ id: 'p', size: 3 * 1024 ** 2 }],
          marker: ago(8 * DAY),
        },
        { scope: 'refs/pull/42/merge', key: 'pr-key', at: ago(2 * DAY), packs: [{ id: 'p', size: 2048 }] },
        { key: 'fresh', at: ago(HOUR * 2), packs: [{ id: 'p', size: 10 }] },
      ],
      [{ key: keysOf({ key: 'x', at: 0 }).pack('u'), uploadId: 'up', initiated: new Date(ago(2 * DAY)) }],
    );
    const text = formatPlan(createPlan({ inventory: f.inventory, policy: policy(), now: NOW }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Janitor plan at 2026-06-01T12:00:00.000Z');
    expect(lines[2]).toMatch(/^REASON\s+REPOSITORY\s+SCOPE\s+KEY\s+OBJECTS\s+SIZE\s+LAST ACCESS\s+AGE$/);
    expect(text).toMatch(
      /pr-idle\s+acme\/app\s+pull\/42\/merge\s+pr-key\s+2 \(entry\)\s+2\.0 KiB\s+2026-05-30 12:00Z\s+2d/,
    );
    expect(text).toMatch(
      /idle\s+acme\/app\s+heads\/main\s+Linux-node-deps-abc\s+3 \(entry\)\s+3\.0 MiB\s+2026-05-24 12:00Z\s+8d/,
    );
    expect(text).toMatch(/stale-upload\s+acme\/app\s+-\s+…a+\/x\/packs\/u\.pack\s+1 \(upload\)/);
    expect(text).toMatch(
      /REPOSITORY\s+CAP\s+BEFORE\s+AFTER\s+ENTRIES\n[- ]+\nacme\/app\s+10\.0 GiB\s+3\.0 MiB\s+10 B\s+3 -> 1/,
    );
    expect(text).toContain('Total: 3.0 MiB -> 10 B, 3 -> 1 entries');
    expect(text).not.toContain('fresh');
  });

  it('says so when there is nothing to delete, and limits rows on request', () => {
    expect(
      formatPlan(createPlan({ inventory: fixture([]).inventory, policy: policy(), now: NOW })),
    ).toContain('Nothing to delete.');
    const f = fixture(
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, at: ago(9 * DAY), packs: [{ id: 'p' }] })),
    );
    const text = formatPlan(createPlan({ inventory: f.inventory, policy: policy(), now: NOW }), {
      maxRows: 2,
    });
    expect(text).toContain('… and 3 more');
  });

  it('clips long keys', () => {
    const key = 'k'.repeat(100);
    const f = fixture([{ key, at: ago(9 * DAY), packs: [{ id: 'p' }] }]);
    const text = formatPlan(createPlan({ inventory: f.inventory, policy: policy(), now: NOW }), {
      keyWidth: 20,
    });
    expect(text).toContain(`${'k'.repeat(19)}…`);
  });
});

describe('formatBytes / formatAge', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [10 * 1024 ** 3, '10.0 GiB'],
  ])('formatBytes(%d) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [90 * MINUTE, '1h 30m'],
    [DAY + 5 * MINUTE, '1d'],
    [3 * DAY + 4 * HOUR, '3d 4h'],
    [-2 * HOUR, '-2h'],
  ])('formatAge(%d) = %s', (ms, text) => expect(formatAge(ms)).toBe(text));
});
