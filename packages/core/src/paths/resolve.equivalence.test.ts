import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, type Stats } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as glob from '@actions/glob';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3CacheError } from '../errors.js';
import { normalizePathLines } from './lines.js';
import { compareArchiveNames, toArchiveName } from './names.js';
import { parsePatterns, rootsOf } from './patterns.js';
import {
  PathResolutionError,
  type ResolvedItem,
  type ResolvedItemType,
  resolveCachePaths,
} from './resolve.js';

/*
 * resolveCachePaths walks the tree itself, with @actions/glob's patterns but not its walker. The
 * oracle below is the previous implementation, which let glob.create(...).globGenerator() walk
 * and lstat'ed every match: for every pattern set, both must give the same items (paths, names,
 * types, order), the same roots, the same warnings in the same order, and the same error.
 */

const GLOB_OPTIONS: glob.GlobOptions = {
  implicitDescendants: true,
  followSymbolicLinks: false,
  matchDirectories: true,
  omitBrokenSymbolicLinks: true,
  excludeHiddenFiles: false,
};

interface Layout {
  workspace: string;
  home: string;
}

type Outcome =
  | { items: ResolvedItem[]; roots: string[]; warnings: string[] }
  | { error: string; message: string; warnings: string[] };

async function oracle(patterns: string[], layout: Layout): Promise<Outcome> {
  const warnings: string[] = [];
  try {
    const ctx = { workspace: path.resolve(layout.workspace), home: path.resolve(layout.home) };
    const parsed = parsePatterns(normalizePathLines(patterns), ctx);
    const roots = rootsOf(parsed, ctx.workspace);
    if (!parsed.some((p) => !p.negate)) return { items: [], roots, warnings };
    const found = new Map<string, ResolvedItem>();
    try {
      const globber = await glob.create(parsed.map((p) => p.glob).join('\n'), GLOB_OPTIONS);
      for await (const match of globber.globGenerator()) {
        const absolute = path.resolve(match);
        if (found.has(absolute)) continue;
        const name = toArchiveName(ctx.workspace, absolute);
        if (name === '.') continue;
        const stats: Stats | undefined = lstatSync(absolute, { throwIfNoEntry: false });
        if (!stats) {
          warnings.push(`skipping ${name}: removed while resolving cache paths`);
          continue;
        }
        const type: ResolvedItemType | undefined = stats.isSymbolicLink()
          ? 'symlink'
          : stats.isDirectory()
            ? 'directory'
            : stats.isFile()
              ? 'file'
              : undefined;
        if (!type) {
          warnings.push(`skipping ${name}: not a regular file, directory or symbolic link`);
          continue;
        }
        found.set(absolute, { path: absolute, name, type });
      }
    } catch (err) {
      if (err instanceof S3CacheError) throw err;
      throw new PathResolutionError(`cannot resolve cache paths: ${(err as Error).message}`, { cause: err });
    }
    const items = [...found.values()].sort((a, b) => compareArchiveNames(a.name, b.name));
    return { items, roots, warnings };
  } catch (err) {
    return failure(err, warnings);
  }
}

async function actual(patterns: string[], layout: Layout): Promise<Outcome> {
  const warnings: string[] = [];
  try {
    const { items, roots } = await resolveCachePaths(patterns, {
      ...layout,
      onWarning: (m) => warnings.push(m),
    });
    return { items, roots, warnings };
  } catch (err) {
    return failure(err, warnings);
  }
}

function failure(err: unknown, warnings: string[]): Outcome {
  const e = err as Error;
  return { error: e.constructor.name, message: e.message, warnings };
}

async function expectSame(patterns: string[], layout: Layout): Promise<Outcome> {
  const expected = await oracle(patterns, layout);
  expect(await actual(patterns, layout), JSON.stringify(patterns)).toEqual(expected);
  return expected;
}

let sandbox: string;
let layout: Layout;
/** A workspace whose own name is full of glob syntax: every pattern below goes through escaping. */
let oddLayout: Layout;
let server: net.Server | undefined;

async function put(file: string, content = 'x'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

async function buildTree(root: string): Promise<void> {
  await put(path.join(root, 'a/file.txt'), 'hello');
  await put(path.join(root, 'a/b/c/keep.txt'), 'kept');
  await put(path.join(root, 'a/b/c/drop.o'), 'o'.repeat(300));
  await put(path.join(root, 'a/b/.hidden'), '');
  await put(path.join(root, 'a/x/c/other.txt'));
  await mkdir(path.join(root, 'a/empty/deeper'), { recursive: true });
  await put(path.join(root, '.hidden-top'));
  await put(path.join(root, '.git/objects/ab/cdef'), 'blob');
  await put(path.join(root, 'node_modules/pkg/index.js'), 'module.exports = 1;\n');
  await put(path.join(root, 'node_modules/pkg/node_modules/inner/index.js'));
  await put(path.join(root, 'node_modules/.cache/big.bin'), Buffer.alloc(70_000, 1).toString());
  await put(path.join(root, 'src/main.c'));
  await put(path.join(root, 'src/main.o'));
  await put(path.join(root, 'src/sub/util.o'));
  await put(path.join(root, 'weird/weird[1].txt'));
  await put(path.join(root, 'weird/q?.txt'));
  await put(path.join(root, 'weird/star*.txt'));
  await put(path.join(root, 'weird/brace{a,b}.txt'));
  await put(path.join(root, 'weird/back\\slash.txt'));
  await put(path.join(root, 'weird/!bang.txt'));
  await put(path.join(root, 'weird/#hash.txt'));
  await put(path.join(root, 'dir with space/ünïcödé.txt'));
  await mkdir(path.join(root, 'links'), { recursive: true });
  await symlink('../a/file.txt', path.join(root, 'links/to-file'));
  await symlink('../a', path.join(root, 'links/to-dir'));
  await symlink('../nowhere', path.join(root, 'links/broken'));
  await symlink('loop', path.join(root, 'links/loop'));
  await symlink('..', path.join(root, 'links/parent'));
  await symlink(path.join(root, 'a/b'), path.join(root, 'links/absolute'));
  await mkdir(path.join(root, 'special'), { recursive: true });
  execFileSync('mkfifo', [path.join(root, 'special/fifo')]);
  await put(path.join(root, 'special/plain'));
}

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-resolve-eq-'));
  layout = { workspace: path.join(sandbox, 'ws'), home: path.join(sandbox, 'home') };
  oddLayout = { workspace: path.join(sandbox, 'w[s] *?{x,y}\\!'), home: path.join(sandbox, 'h[o]me*') };
  for (const l of [layout, oddLayout]) {
    await buildTree(l.workspace);
    await put(path.join(l.home, '.npm/_cacache/index-v5/00/abc.json'), '{}');
    await put(path.join(l.home, '.npm/_logs/debug.log'));
    await put(path.join(l.home, '.cache/pip/wheel.whl'), 'wheel');
    await symlink('.npm', path.join(l.home, 'npm-link'));
  }
  await put(path.join(sandbox, 'outside/data/one.bin'), '1');
  await put(path.join(sandbox, 'outside/skip/two.bin'), '22');
  await put(path.join(sandbox, 'outside/.hidden/three.bin'), '333');
  // A socket as well as a FIFO; the server stays up so the socket file exists.
  const socketPath = path.join(layout.workspace, 'special/sock');
  const listening = net.createServer();
  await new Promise<void>((resolve, reject) => {
    listening.once('error', reject);
    listening.listen(socketPath, () => resolve());
  });
  server = listening;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await rm(sandbox, { recursive: true, force: true });
});

const PATTERN_SETS: string[][] = [
  ['**'],
  ['.'],
  ['*'],
  ['**/*'],
  ['**/'],
  ['*/'],
  ['a'],
  ['a/'],
  ['./a'],
  ['a/**'],
  ['a/**/'],
  ['a/*'],
  ['a/*/'],
  ['a/*/c'],
  ['a/?/c'],
  ['a/[bx]/c'],
  ['a/[b]/c'],
  ['**/c/**'],
  ['**/*.txt'],
  ['**/*.o', '!src/sub'],
  ['**/.hidden*'],
  ['.*'],
  ['a', '!a/b'],
  ['a', '!a/b/'],
  ['a/', '!a/b/'],
  ['a', '!a/**/c', 'a/b/c/keep.txt'],
  ['a', '!a/b/c/keep.txt', 'a/b/c'],
  ['!a', 'a'],
  ['a', '!a', 'a/b'],
  ['!!a'],
  ['! a', 'a/b'],
  ['**', '!**/*.txt'],
  ['**', '!**/node_modules/**'],
  ['**', '!**/node_modules'],
  ['**/node_modules', '!**/node_modules/*/node_modules'],
  ['**', '!**/.*'],
  ['**', '!**/.*/**'],
  ['node_modules', '!node_modules/.cache/'],
  ['links'],
  ['links/**'],
  ['links/*'],
  ['links/to-dir'],
  ['links/to-dir/'],
  ['links/to-dir', 'links/to-dir/**'],
  ['links/to-dir/file.txt'],
  ['links/to-dir/b/**'],
  ['links/broken', 'links/loop', 'links/parent'],
  ['links/to-file/'],
  ['~'],
  ['~/.npm'],
  ['~/npm-link'],
  ['~/npm-link/**'],
  ['~/**/*.json', '~/.cache'],
  ['~/.npm', '!~/.npm/_logs'],
  ['../outside'],
  ['../outside/**/*.bin', '!../outside/skip'],
  ['../outside/*/', '!../outside/.*'],
  ['../outside/data/one.bin', '../outside/data', '../outside'],
  ['missing', 'nope/**/*.x', 'a/missing/deeper'],
  ['a', 'a/b', 'a/b/c', 'a/b/c/keep.txt'],
  ['a/b/c', 'a/b', 'a'],
  ['**/keep.txt', 'a'],
  ['# a comment', 'src'],
  ['#', 'src'],
  ['weird'],
  ['weird/*'],
  ['weird/weird[1].txt', 'weird/q?.txt', 'weird/star*.txt'],
  ['weird/brace{a,b}.txt', 'weird/back\\slash.txt', 'weird/!bang.txt', 'weird/#hash.txt'],
  ['dir with space'],
  ['**/ünïcödé.txt'],
  ['special'],
  ['special/*'],
  ['special/fifo'],
  ['**', '~/.npm', '../outside'],
  ['~/.npm', '**', '../outside/data'],
  ['a/file.txt/below'],
  ['a/file.txt/**'],
  ['src/main.c/'],
  ['a/../src'],
  ['./**/*.o'],
  ['a/*/..'],
  ['a', '!'],
];

describe('resolveCachePaths against the @actions/glob walker', () => {
  it.each(PATTERN_SETS.map((set) => [set]))('%j', async (patterns) => {
    await expectSame(patterns, layout);
    await expectSame(patterns, oddLayout);
  });

  it('is not comparing empty results: the fixtures exercise every outcome', async () => {
    const outcomes = await Promise.all(PATTERN_SETS.map((set) => oracle(set, layout)));
    const items = outcomes.flatMap((o) => ('items' in o ? o.items : []));
    expect(new Set(items.map((i) => i.type))).toEqual(new Set(['file', 'directory', 'symlink']));
    expect(items.some((i) => i.name.startsWith('../'))).toBe(true);
    expect(outcomes.filter((o) => 'items' in o && o.items.length > 0).length).toBeGreaterThan(60);
    expect(outcomes.some((o) => o.warnings.length > 0)).toBe(true);
    expect(outcomes.some((o) => 'error' in o && o.error === 'PathResolutionError')).toBe(true);
    expect(outcomes.some((o) => 'error' in o && o.error === 'InvalidPathPatternError')).toBe(true);
  });

  it('agrees on generated pattern sets', async () => {
    const first = fc.constantFrom('', '~/', '../outside/', './');
    const segment = fc.constantFrom(
      'a',
      'b',
      'c',
      'x',
      'src',
      'links',
      'to-dir',
      'node_modules',
      'pkg',
      'special',
      '.npm',
      '.git',
      '.hidden',
      '*',
      '**',
      '?',
      '*.txt',
      '*.o',
      '.*',
      '[ab]',
      '[b]',
      'file.txt',
      'weird[1].txt',
    );
    const pattern = fc
      .tuple(
        fc.constantFrom('', '', '!', '!!'),
        first,
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', '', '/'),
      )
      .map(([bang, start, segments, trailing]) => `${bang}${start}${segments.join('/')}${trailing}`);
    await fc.assert(
      fc.asyncProperty(fc.array(pattern, { minLength: 1, maxLength: 4 }), async (patterns) => {
        const expected = await oracle(patterns, layout);
        expect(await actual(patterns, layout)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  // Permissions mean nothing to root, so this only runs as an ordinary user (CI, developers).
  it.skipIf(process.getuid?.() === 0)('fails the same way on an unreadable directory', async () => {
    const locked = path.join(layout.workspace, 'locked');
    await put(path.join(locked, 'inner/secret'));
    chmodSync(locked, 0o000);
    try {
      for (const patterns of [['locked'], ['**'], ['locked/inner/secret'], ['locked/**/secret']]) {
        const expected = await expectSame(patterns, layout);
        expect('error' in expected ? expected.error : 'no error').toBe('PathResolutionError');
      }
    } finally {
      chmodSync(locked, 0o755);
      await rm(locked, { recursive: true, force: true });
    }
  });
});
