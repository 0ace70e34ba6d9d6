import { describe, expect, it } from 'vitest';
import { buildHeader, parsePaxTime, paxTime } from './header.js';

const NS = 1_000_000_000n;
const base = { mode: 0o100644, mtimeNs: 1_700_000_000n * NS + 123_456_789n, size: 5 };

describe('buildHeader', () => {
  it('writes a plain ustar header for short ASCII names, owner-neutral', () => {
    expect(buildHeader({ ...base, name: 'a/b.txt', type: 'file' }, 'second')).toEqual({
      name: 'a/b.txt',
      type: 'file',
      mode: 0o644,
      mtime: new Date(1_700_000_000_000),
      size: 5,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
    });
  });

  it('marks directories with a trailing slash and gives them no body', () => {
    const header = buildHeader({ ...base, mode: 0o40755, name: 'dir', type: 'directory' }, 'second');
    expect(header).toMatchObject({ name: 'dir/', type: 'directory', mode: 0o755, size: 0 });
  });

  it('keeps setuid/setgid/sticky bits and the symlink text', () => {
    const header = buildHeader(
      { ...base, mode: 0o121777, name: 'l', type: 'symlink', linkname: '../x' },
      'second',
    );
    expect(header).toMatchObject({ mode: 0o1777, linkname: '../x', size: 0 });
    expect(header.pax).toBeUndefined();
  });

  it('switches to pax for names or link targets that are long or not ASCII', () => {
    const long = `${'d'.repeat(60)}/${'f'.repeat(60)}`;
    expect(buildHeader({ ...base, name: long, type: 'file' }, 'second').pax).toEqual({});
    expect(buildHeader({ ...base, name: 'café', type: 'file' }, 'second').pax).toEqual({});
    expect(
      buildHeader({ ...base, name: 'l', type: 'symlink', linkname: 'x'.repeat(101) }, 'second').pax,
    ).toEqual({});
    expect(buildHeader({ ...base, name: 'x'.repeat(100), type: 'file' }, 'second').pax).toBeUndefined();
    // 99 characters plus the directory slash: 100 bytes still fit.
    expect(buildHeader({ ...base, name: 'x'.repeat(99), type: 'directory' }, 'second').pax).toBeUndefined();
    expect(buildHeader({ ...base, name: 'x'.repeat(100), type: 'directory' }, 'second').pax).toEqual({});
  });

  it('adds a pax mtime in nanosecond mode or when the time does not fit ustar', () => {
    expect(buildHeader({ ...base, name: 'f', type: 'file' }, 'nanosecond').pax).toEqual({
      mtime: '1700000000.123456789',
    });
    const future = buildHeader({ ...base, mtimeNs: 2n ** 33n * NS, name: 'f', type: 'file' }, 'second');
    expect(future.mtime).toEqual(new Date((2 ** 31 - 1) * 1000));
    expect(future.pax).toEqual({ mtime: String(2n ** 33n) });
    const past = buildHeader({ ...base, mtimeNs: -5n * NS, name: 'f', type: 'file' }, 'second');
    expect(past.mtime).toEqual(new Date(0));
    expect(past.pax).toEqual({ mtime: '-5' });
  });
});

describe('paxTime / parsePaxTime', () => {
  it('formats seconds with a trimmed fraction, flooring negative times', () => {
    expect(paxTime(1_700_000_000n * NS)).toBe('1700000000');
    expect(paxTime(1_700_000_000n * NS + 500_000_000n)).toBe('1700000000.5');
    expect(paxTime(1n)).toBe('0.000000001');
    expect(paxTime(-1n)).toBe('-1.999999999');
  });

  it('parses decimal pax times and rejects anything else', () => {
    expect(parsePaxTime('1700000000.5')).toBe(1_700_000_000.5);
    expect(parsePaxTime('-3')).toBe(-3);
    expect(parsePaxTime('1e9')).toBeUndefined();
    expect(parsePaxTime('')).toBeUndefined();
    expect(parsePaxTime('12abc')).toBeUndefined();
  });
});
