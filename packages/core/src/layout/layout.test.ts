import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { decodeSegment, encodeSegment } from './encode.js';
import { isExactKeyMatch, parseMultiline, validateKeys } from './keys.js';
import { Layout } from './layout.js';
import { readScopes, scopePath } from './scope.js';

const version = 'a'.repeat(64);
const repo = 'Acme/App';

describe('encodeSegment', () => {
  it.each(['plain-key_1.0', 'with space', 'slash/es', '100%', 'ünïcödé ✓ 🚀', 'tilde~and+plus', ''])(
    'round-trips %j and never emits / or ~',
    (key) => {
      const enc = encodeSegment(key);
      expect(enc).not.toMatch(/[/~+ ]/);
      expect(decodeSegment(enc)).toBe(key);
    },
  );

  it('is prefix-preserving', () => {
    const key = 'linux-🚀-deps/2';
    for (let i = 0; i <= key.length; i++) {
      const prefix = key.slice(0, i);
      if (/[\ud800-\udbff]$/.test(prefix)) continue; // half a surrogate pair is not a key
      expect(encodeSegment(key).startsWith(encodeSegment(prefix))).toBe(true);
    }
  });
});

describe('validateKeys', () => {
  it('accepts 512 characters and 10 keys', () => {
    expect(() =>
      validateKeys(
        'k'.repeat(512),
        Array.from({ length: 9 }, (_, i) => `r${i}`),
      ),
    ).not.toThrow();
  });
  it('rejects 513 characters, commas, and 11 keys with specific messages', () => {
    expect(() => validateKeys('k'.repeat(513), [])).toThrow(/cannot be larger than 512 characters/);
    expect(() => validateKeys('a,b', [])).toThrow(/cannot contain commas/);
    expect(() =>
      validateKeys(
        'k',
        Array.from({ length: 10 }, (_, i) => `r${i}`),
      ),
    ).toThrow(/maximum of 10/);
    expect(() => validateKeys('k', ['x,y'])).toThrow(ValidationError);
  });
  it('compares cache-hit keys case-insensitively', () => {
    expect(isExactKeyMatch('Linux-Key', 'linux-key')).toBe(true);
    expect(isExactKeyMatch('linux-key', 'linux-key-2')).toBe(false);
    expect(isExactKeyMatch('linux-key', undefined)).toBe(false);
  });
  it('parses multiline inputs like actions/cache', () => {
    expect(parseMultiline(' a \n\n! b\r\n  !c ')).toEqual(['a', '!b', '!c']);
  });
});

describe('scopes', () => {
  it('reads own ref, then PR base, then default branch, without duplicates', () => {
    expect(readScopes({ ref: 'refs/pull/7/merge', baseRef: 'release/1', defaultBranch: 'main' })).toEqual([
      'refs/pull/7/merge',
      'refs/heads/release/1',
      'refs/heads/main',
    ]);
    expect(readScopes({ ref: 'refs/heads/main', defaultBranch: 'main' })).toEqual(['refs/heads/main']);
    expect(readScopes({ ref: 'refs/tags/v1', defaultBranch: 'main' })).toEqual([
      'refs/tags/v1',
      'refs/heads/main',
    ]);
  });
  it('maps refs to one kind segment and one name segment', () => {
    expect(scopePath('refs/heads/feature/x')).toBe('heads/feature%2Fx');
    expect(scopePath('refs/pull/7/merge')).toBe('pull/7%2Fmerge');
    expect(scopePath('refs/tags/v1.0')).toBe('tags/v1.0');
    expect(scopePath('refs/remotes/odd')).toBe('other/refs%2Fremotes%2Fodd');
  });
});

describe('Layout', () => {
  const layout = new Layout('/team-cache/');

  it('puts the lower-cased repository first, under the prefix', () => {
    const dir = layout.entryDir({ repository: repo, scope: 'refs/heads/main', version, key: 'deps key' });
    expect(dir).toBe(`team-cache/acme/app/heads/main/${version}/deps%20key/`);
    expect(layout.manifestKey(dir)).toBe(`${dir}manifest.json`);
    expect(layout.markerKeyForEntryDir(dir)).toBe(
      `team-cache/acme/app/access/heads/main/${version}/deps%20key`,
    );
  });

  it('keeps every object key within 1,024 bytes for any valid key', () => {
    for (const key of ['🚀'.repeat(512), '%'.repeat(512), 'a/'.repeat(256), 'x'.repeat(512)]) {
      const dir = layout.entryDir({
        repository: repo,
        scope: 'refs/heads/a-long-branch-name/with/parts',
        version,
        key,
      });
      for (const objectKey of [
        layout.manifestKey(dir),
        layout.updateKey(dir, '000001763700000000-abcdef012345'),
        layout.markerKeyForEntryDir(dir),
      ]) {
        expect(Buffer.byteLength(objectKey)).toBeLessThanOrEqual(1024);
      }
    }
  });

  it('marks truncated keys with a hash so distinct long keys never share a directory', () => {
    const a = layout.entryDir({
      repository: repo,
      scope: 'refs/heads/main',
      version,
      key: `${'🚀'.repeat(300)}a`,
    });
    const b = layout.entryDir({
      repository: repo,
      scope: 'refs/heads/main',
      version,
      key: `${'🚀'.repeat(300)}b`,
    });
    expect(a).not.toBe(b);
    expect(a).toMatch(/~[0-9a-f]{16}\/$/);
  });

  it('finds long keys by a listing prefix that covers their truncated form', () => {
    const versionDir = layout.versionDir(repo, 'refs/heads/main', version);
    const key = '🚀'.repeat(400);
    const dir = layout.entryDir({ repository: repo, scope: 'refs/heads/main', version, key });
    const search = layout.keyPrefixSearch(versionDir, key.slice(0, 300));
    expect(search.complete).toBe(false);
    expect(dir.startsWith(search.listPrefix)).toBe(true);
    const short = layout.keyPrefixSearch(versionDir, 'linux-');
    expect(short).toEqual({ listPrefix: `${versionDir}linux-`, complete: true });
  });

  it('parses what it builds', () => {
    const dir = layout.entryDir({ repository: repo, scope: 'refs/pull/7/merge', version, key: 'k/1 ✓' });
    expect(layout.parse(layout.manifestKey(dir))).toMatchObject({
      role: 'manifest',
      repository: 'acme/app',
      scope: 'refs/pull/7/merge',
      key: 'k/1 ✓',
      entryDir: dir,
    });
    expect(layout.parse(layout.packKey(dir, 'p1'))).toMatchObject({
      role: 'pack',
      name: 'p1',
      entryDir: dir,
    });
    expect(layout.parse(layout.updateKey(dir, 'u1'))).toMatchObject({
      role: 'update',
      name: 'u1',
      entryDir: dir,
    });
    expect(layout.parse(layout.markerKeyForEntryDir(dir))).toMatchObject({ role: 'marker', entryDir: dir });
    expect(layout.parse(layout.reservedKey('reports/x.json')).role).toBe('reserved');
    expect(layout.parse('team-cache/acme/app/junk').role).toBe('unknown');
  });

  it('rejects malformed repositories and versions', () => {
    expect(() => layout.repositoryRoot('no-slash')).toThrow(ValidationError);
    expect(() => layout.versionDir(repo, 'refs/heads/main', 'xyz')).toThrow(ValidationError);
  });
});
