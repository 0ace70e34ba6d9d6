import fc from 'fast-check';
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

  it('orders as a segment-by-segment comparison would, for any names', () => {
    const bySegments = (a: string, b: string): number => {
      const left = a.split('/');
      const right = b.split('/');
      for (let i = 0; i < Math.min(left.length, right.length); i++) {
        const x = left[i] as string;
        const y = right[i] as string;
        if (x !== y) return x < y ? -1 : 1;
      }
      return left.length - right.length;
    };
    const name = fc.string({
      unit: fc.constantFrom('a', 'b', '/', '-', '.', ' ', '!', 'é', '😀', '~'),
      maxLength: 8,
    });
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(Math.sign(compareArchiveNames(a, b))).toBe(Math.sign(bySegments(a, b)));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('collapseNested', () => {
  it('dedupes and drops paths inside others', () => {
    expect(collapseNested(['/a/b', '/a', '/c/d', '/c/d/', '/c/de'])).toEqual(['/a', '/c/d', '/c/de']);
  });
});
