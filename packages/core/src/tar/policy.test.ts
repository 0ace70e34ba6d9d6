import { describe, expect, it } from 'vitest';
import { UnsafeArchiveError } from './errors.js';
import { createPolicy, type MemberHeader, planMember } from './policy.js';

const policy = createPolicy('/w/repo', ['cache', '../../home/u/.npm', 'single/file.txt', 'cache/nested']);
const mtime = new Date(1_600_000_000_000);
const file = (name: string, extra: Partial<MemberHeader> = {}): MemberHeader => ({
  name,
  type: 'file',
  mode: 0o644,
  mtime,
  ...extra,
});

function rejection(header: MemberHeader): UnsafeArchiveError {
  try {
    planMember(header, policy);
  } catch (err) {
    if (err instanceof UnsafeArchiveError) return err;
    throw err;
  }
  throw new Error(`${header.name} was admitted`);
}

describe('createPolicy', () => {
  it('resolves roots against the workspace and folds nested ones', () => {
    expect(policy.roots).toEqual(['/home/u/.npm', '/w/repo/cache', '/w/repo/single/file.txt']);
  });
});

describe('planMember', () => {
  it('admits members inside a root and normalises the target', () => {
    expect(planMember(file('cache/a/b.txt'), policy)).toEqual({
      kind: 'file',
      name: 'cache/a/b.txt',
      target: '/w/repo/cache/a/b.txt',
      root: '/w/repo/cache',
      mode: 0o644,
      mtime: 1_600_000_000,
    });
    expect(planMember(file('./cache//x/../y'), policy).target).toBe('/w/repo/cache/y');
    expect(planMember(file('../../home/u/.npm/index'), policy).root).toBe('/home/u/.npm');
    expect(planMember(file('single/file.txt'), policy).target).toBe('/w/repo/single/file.txt');
    expect(planMember({ name: 'cache/', type: 'directory', mode: 0o755, mtime }, policy).kind).toBe(
      'directory',
    );
  });

  it('drops setuid, setgid and sticky bits', () => {
    expect(planMember(file('cache/suid', { mode: 0o6755 }), policy).mode).toBe(0o755);
  });

  it('prefers a pax mtime and ignores a malformed one', () => {
    expect(planMember(file('cache/t', { pax: { mtime: '1600000000.25' } }), policy).mtime).toBe(
      1_600_000_000.25,
    );
    expect(planMember(file('cache/t', { pax: { mtime: 'soon' } }), policy).mtime).toBe(1_600_000_000);
  });

  it.each([
    ['../../etc/x', /uses '\.\.' to leave the cache paths/],
    ['cache/../../../etc/x', /uses '\.\.'/],
    ['cache/../other', /uses '\.\.'/],
    ['other/file', /path is outside the cache paths/],
    ['single/other.txt', /outside/],
    ['single/file.txt.bak', /outside/],
    ['cachex/file', /outside/],
    ['/abs', /absolute path/],
    ['/w/repo/cache/x', /absolute path/],
    ['cache/a\0b', /NUL/],
    ['', /empty path/],
  ])('rejects the name %j', (name, reason) => {
    const error = rejection(file(name));
    expect(error.member).toBe(name);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(JSON.stringify(name));
  });

  it.each(['character-device', 'block-device', 'fifo', 'pax-global-header', null, undefined])(
    'rejects member type %s',
    (type) => {
      expect(rejection(file('cache/dev', { type })).message).toMatch(/unsupported member type/);
    },
  );

  it('admits symlinks whose target stays inside the roots, relative or absolute', () => {
    const link = (name: string, linkname: string): MemberHeader => ({
      name,
      type: 'symlink',
      linkname,
      mtime,
    });
    expect(planMember(link('cache/a/l', '../b'), policy)).toMatchObject({
      kind: 'symlink',
      linkname: '../b',
    });
    expect(planMember(link('cache/l', '../../../home/u/.npm/x'), policy).linkname).toBe(
      '../../../home/u/.npm/x',
    );
    expect(planMember(link('cache/l', '/w/repo/cache/x'), policy).linkname).toBe('/w/repo/cache/x');
    expect(planMember(link('cache/l', '.'), policy).linkname).toBe('.');
  });

  it.each([
    ['cache/evil', '/tmp/outside'],
    ['cache/evil', '/etc/passwd'],
    ['cache/up', '../..'],
    ['cache/a/up', '../../other'],
    ['cache/l', '../single'],
  ])('rejects the symlink %s -> %s', (name, linkname) => {
    expect(rejection({ name, type: 'symlink', linkname, mtime }).message).toMatch(/points outside/);
  });

  it('rejects links without a target or with a NUL', () => {
    expect(rejection({ name: 'cache/l', type: 'symlink', linkname: '', mtime }).message).toMatch(
      /without a target/,
    );
    expect(rejection({ name: 'cache/l', type: 'symlink', mtime }).message).toMatch(/without a target/);
    expect(rejection({ name: 'cache/l', type: 'symlink', linkname: 'a\0', mtime }).message).toMatch(/NUL/);
  });

  it('resolves hardlink targets as member names and keeps them inside the roots', () => {
    expect(planMember({ name: 'cache/h', type: 'link', linkname: 'cache/a/f', mtime }, policy)).toMatchObject(
      {
        kind: 'hardlink',
        linkTarget: '/w/repo/cache/a/f',
      },
    );
    expect(rejection({ name: 'cache/h', type: 'link', linkname: '/etc/passwd', mtime }).message).toMatch(
      /absolute hard link target/,
    );
    expect(
      rejection({ name: 'cache/h', type: 'link', linkname: '../../../etc/passwd', mtime }).message,
    ).toMatch(/hard link target uses '\.\.'/);
    expect(rejection({ name: 'cache/h', type: 'link', linkname: 'other/f', mtime }).message).toMatch(
      /hard link target is outside/,
    );
  });

  it('admits nothing when there are no roots', () => {
    expect(() => planMember(file('cache/a'), createPolicy('/w/repo', []))).toThrow(UnsafeArchiveError);
  });
});
