import { describe, expect, it } from 'vitest';
import { collapseNested, compareArchiveNames, isWithin, toArchiveName } from './names.js';

describe('toArchiveName', () => {
  it('is workspace-relative with ../ outside and . for the workspace itself', () => {
    expect(toArchiveName('/w/repo', '/w/repo/a/b')).toBe('a/b');
    expect(toArchiveName('/w/repo', '/home/x/.npm')).toBe('../../home/x/.npm');
    expect(toArchiveName('/w/repo', '/w/repo')).toBe('.');
  });
});

describe('isWithin', () => {
  it('is lexical containment, the path itself included', () => {
    expect(isWithin('/a/b', '/a/b')).toBe(true);
    expect(isWithin('/a/b', '/a/b/c/d')).toBe(true);
    expect(isWithin('/a/b', '/a/bc')).toBe(false);
    expect(isWithin('/a/b', '/a')).toBe(false);
    expect(isWithin('/a/b', '/a/b/../c')).toBe(false);
    expect(isWithin('/a/b', '/a/b/..foo')).toBe(true);
    expect(isWithin('/', '/anything')).toBe(true);
  });
});

describe('compareArchiveNames', () => {
  it('puts parents before children and compares segment by segment', () => {
    const names = ['a/b', 'a-b', 'a', 'a/b/c', '../x', 'B', 'a.b', 'a/a'];
    expect([...names].sort(compareArchiveNames)).toEqual([
      '../x',
      'B',
      'a',
      'a/a',
      'a/b',
      'a/b/c',
      'a-b',
      'a.b',
    ]);
  });
});

describe('collapseNested', () => {
  it('dedupes and drops paths inside others', () => {
    expect(collapseNested(['/a/b', '/a', '/c/d', '/c/d/', '/c/de'])).toEqual(['/a', '/c/d', '/c/de']);
  });
});
