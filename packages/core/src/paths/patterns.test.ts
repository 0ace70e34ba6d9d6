import { describe, expect, it } from 'vitest';
import { InvalidPathPatternError } from './errors.js';
import { globEscape, literalSegment, parsePattern, parsePatterns, rootsOf } from './patterns.js';

const ctx = { workspace: '/w/repo', home: '/home/runner' };

describe('parsePattern', () => {
  it('anchors relative patterns at the workspace', () => {
    expect(parsePattern('node_modules', ctx)).toEqual({
      source: 'node_modules',
      negate: false,
      glob: '/w/repo/node_modules',
      base: '/w/repo/node_modules',
    });
    expect(parsePattern('./dist', ctx)?.base).toBe('/w/repo/dist');
    expect(parsePattern('.', ctx)?.base).toBe('/w/repo');
  });

  it('expands ~ to the given home, but only as a whole first segment', () => {
    expect(parsePattern('~/.npm', ctx)?.glob).toBe('/home/runner/.npm');
    expect(parsePattern('~', ctx)?.base).toBe('/home/runner');
    expect(parsePattern('~foo', ctx)?.base).toBe('/w/repo/~foo');
  });

  it('keeps absolute patterns', () => {
    expect(parsePattern('/opt/cache/**', ctx)).toMatchObject({ glob: '/opt/cache/**', base: '/opt/cache' });
  });

  it('uses the literal segments before the first wildcard as the base', () => {
    expect(parsePattern('src/**/*.o', ctx)).toMatchObject({
      glob: '/w/repo/src/**/*.o',
      base: '/w/repo/src',
    });
    expect(parsePattern('**/node_modules', ctx)?.base).toBe('/w/repo');
    expect(parsePattern('a/b?/c', ctx)?.base).toBe('/w/repo/a');
    expect(parsePattern('a/[xy]/c', ctx)?.base).toBe('/w/repo/a');
    expect(parsePattern('pkg-*/dist', ctx)?.base).toBe('/w/repo');
  });

  it('treats escapes, single-character sets, braces and extglobs as literal', () => {
    expect(parsePattern('a/\\*literal/x', ctx)?.base).toBe('/w/repo/a/*literal/x');
    expect(parsePattern('a/[b]/x', ctx)?.base).toBe('/w/repo/a/b/x');
    expect(parsePattern('a/{b,c}', ctx)?.base).toBe('/w/repo/a/{b,c}');
    expect(parsePattern('a/+(b)', ctx)?.base).toBe('/w/repo/a/+(b)');
  });

  it('parses negation with parity of leading "!" and inner spaces', () => {
    expect(parsePattern('!~/cache/tmp', ctx)).toMatchObject({
      negate: true,
      glob: '!/home/runner/cache/tmp',
    });
    expect(parsePattern('!! ~/cache', ctx)).toMatchObject({ negate: false, glob: '/home/runner/cache' });
    expect(parsePattern('! foo', ctx)).toMatchObject({ negate: true, base: '/w/repo/foo' });
  });

  it('keeps a trailing separator (directories only) on the glob', () => {
    expect(parsePattern('build/', ctx)?.glob).toBe('/w/repo/build/');
    expect(parsePattern('**/out/', ctx)?.glob).toBe('/w/repo/**/out/');
  });

  it('resolves ".." in the literal prefix (upstream rejects it) so caches beside the workspace work', () => {
    expect(parsePattern('../shared/cache', ctx)?.base).toBe('/w/shared/cache');
    expect(parsePattern('../shared/*.bin', ctx)).toMatchObject({
      glob: '/w/shared/*.bin',
      base: '/w/shared',
    });
  });

  it('rejects "." and ".." after a wildcard, and an empty negation', () => {
    expect(() => parsePattern('a/*/..', ctx)).toThrow(InvalidPathPatternError);
    expect(() => parsePattern('a/**/./b', ctx)).toThrow(/not allowed after a wildcard/);
    expect(() => parsePattern('!', ctx)).toThrow(InvalidPathPatternError);
  });

  it('skips comment lines like @actions/glob', () => {
    expect(parsePattern('#not-a-path', ctx)).toBeUndefined();
    expect(parsePatterns(['#x', 'a'], ctx).map((p) => p.base)).toEqual(['/w/repo/a']);
  });

  it('escapes glob characters of the workspace and home so they match literally', () => {
    const odd = { workspace: '/w/[repo]*?', home: '/h/a?b' };
    const parsed = parsePattern('dist/*.js', odd);
    expect(parsed).toMatchObject({
      glob: '/w/[[]repo]*?/dist/*.js'.replace('*?', '[*][?]'),
      base: '/w/[repo]*?/dist',
    });
    expect(parsePattern('~/x', odd)).toMatchObject({ glob: '/h/a[?]b/x', base: '/h/a?b/x' });
  });
});

describe('rootsOf', () => {
  it('lists include bases as workspace-relative names, nested roots folded, exclusions ignored', () => {
    const parsed = parsePatterns(
      ['node_modules', 'node_modules/.cache', '!node_modules/tmp', '~/.npm', 'src/**/*.o', '/w/other'],
      ctx,
    );
    expect(rootsOf(parsed, ctx.workspace)).toEqual([
      '../../home/runner/.npm',
      '../other',
      'node_modules',
      'src',
    ]);
  });

  it('uses "." for patterns rooted at the workspace itself', () => {
    expect(rootsOf(parsePatterns(['**/*.log', 'a'], ctx), ctx.workspace)).toEqual(['.']);
  });
});

describe('literalSegment / globEscape', () => {
  it('round-trips: an escaped literal reads back as itself', () => {
    for (const text of ['plain', 'a*b', 'q?', '[x]', 'a[bc]d', 'back\\slash', '[', 'x]']) {
      expect(literalSegment(globEscape(text))).toBe(text);
    }
  });

  it('detects wildcards', () => {
    expect(literalSegment('*.js')).toBeUndefined();
    expect(literalSegment('a?')).toBeUndefined();
    expect(literalSegment('[ab]')).toBeUndefined();
    expect(literalSegment('[a]')).toBe('a');
    expect(literalSegment('[]')).toBe('[]');
  });
});
