import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizePathLines } from './lines.js';
import { cacheVersion } from './version.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const linux = { compression: 'zstd-without-long', platform: 'linux', enableCrossOsArchive: false } as const;

describe('cacheVersion', () => {
  it('hashes paths, compression and salt joined with |, as @actions/cache does', () => {
    expect(cacheVersion(['node_modules', '~/.npm'], linux)).toBe(
      sha256('node_modules|~/.npm|zstd-without-long|1.0'),
    );
    // A fixed vector guards against the helper above and the implementation drifting together.
    // Computed with `printf '%s' 'node_modules|zstd|1.0' | sha256sum`.
    expect(cacheVersion(['node_modules'], { ...linux, compression: 'zstd' })).toBe(
      '273877e14fd65d270b87a198edbfa2db5a43de567c9a548d2a2505b408befe24',
    );
  });

  it('adds windows-only on win32 unless cross-OS archives are enabled', () => {
    const win = { ...linux, platform: 'win32' } as const;
    expect(cacheVersion(['a'], win)).toBe(sha256('a|zstd-without-long|windows-only|1.0'));
    expect(cacheVersion(['a'], { ...win, enableCrossOsArchive: true })).toBe(
      sha256('a|zstd-without-long|1.0'),
    );
    expect(cacheVersion(['a'], { ...linux, enableCrossOsArchive: true })).toBe(cacheVersion(['a'], linux));
    expect(cacheVersion(['a'], { ...linux, platform: 'darwin' })).toBe(cacheVersion(['a'], linux));
  });

  it('skips an empty compression method and honours a custom salt', () => {
    expect(cacheVersion(['a'], { ...linux, compression: '' })).toBe(sha256('a|1.0'));
    expect(cacheVersion(['a'], { ...linux, salt: '2.0' })).toBe(sha256('a|zstd-without-long|2.0'));
  });

  it('keeps the order of the path lines and does not sort or dedupe them', () => {
    expect(cacheVersion(['a', 'b'], linux)).not.toBe(cacheVersion(['b', 'a'], linux));
    expect(cacheVersion(['a', 'a'], linux)).toBe(sha256('a|a|zstd-without-long|1.0'));
  });

  it('normalises lines like actions/cache input parsing (idempotent on normalised lines)', () => {
    expect(cacheVersion(['! foo', ' bar ', ''], linux)).toBe(sha256('!foo|bar|zstd-without-long|1.0'));
    expect(cacheVersion(['!foo', 'bar'], linux)).toBe(cacheVersion(['! foo', 'bar'], linux));
  });

  it('does not mutate its input', () => {
    const patterns = ['a', 'b'];
    cacheVersion(patterns, linux);
    expect(patterns).toEqual(['a', 'b']);
  });
});

describe('normalizePathLines', () => {
  it('turns "! foo" into "!foo", trims, and drops empty lines', () => {
    expect(normalizePathLines(['!   foo', '  bar  ', '', '   ', '!baz', '!\tqux'])).toEqual([
      '!foo',
      'bar',
      '!baz',
      '!qux',
    ]);
  });
});
