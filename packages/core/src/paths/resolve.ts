import { type Dirent, lstatSync, readdirSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as glob from '@actions/glob';
import { S3CacheError } from '../errors.js';
import { normalizePathLines } from './lines.js';
import { compareArchiveNames, toArchiveName } from './names.js';
import { type PatternContext, parsePatterns, rootsOf } from './patterns.js';

export { InvalidPathPatternError } from './errors.js';

export type ResolvedItemType = 'file' | 'directory' | 'symlink';

export interface ResolvedItem {
  /** Absolute path on disk. */
  readonly path: string;
  /** Archive member name: workspace-relative, `/`-separated, `../` for paths outside it. */
  readonly name: string;
  readonly type: ResolvedItemType;
}

export interface ResolvedPaths {
  /** Every file, directory and symlink to archive, parents before children, deterministic. */
  readonly items: ResolvedItem[];
  /** Extraction roots as archive names: restore writes only at or below these. */
  readonly roots: string[];
}

export interface ResolveOptions {
  workspace: string;
  /** What `~` expands to; defaults to the current user's home directory. */
  home?: string;
  /** Told about skipped paths (sockets, FIFOs, devices, paths that vanished while walking). */
  onWarning?: (message: string) => void;
}

export type RootsOptions = Omit<ResolveOptions, 'onWarning'>;

/** Walking the file system failed (permissions, I/O): the save cannot know what to archive. */
export class PathResolutionError extends S3CacheError {}

/*
 * implicitDescendants: a matched directory brings its whole subtree, and exclusions apply inside
 * it too (`~/cache` + `!~/cache/tmp` leaves tmp out, as the actions/cache README promises; upstream
 * hands whole directories to tar and so silently ignores such exclusions).
 * followSymbolicLinks: false, so a symlink is matched and stored as a link, never traversed: the
 * archive then never contains a path through a link, which restore would refuse to write.
 */
const GLOB_OPTIONS: glob.GlobOptions = {
  implicitDescendants: true,
  followSymbolicLinks: false,
  matchDirectories: true,
  omitBrokenSymbolicLinks: true,
  excludeHiddenFiles: false,
};

/**
 * Resolves actions/cache `path` lines to the items to archive. Nothing matched → no items (the
 * caller warns and skips the save); `roots` depend only on the patterns and are always returned.
 */
export async function resolveCachePaths(patterns: string[], opts: ResolveOptions): Promise<ResolvedPaths> {
  const ctx = patternContext(opts);
  const parsed = parsePatterns(normalizePathLines(patterns), ctx);
  const roots = rootsOf(parsed, ctx.workspace);
  if (!parsed.some((p) => !p.negate)) return { items: [], roots };

  const found = new Map<string, ResolvedItem>();
  try {
    const search = await globSearch(parsed.map((p) => p.glob).join('\n'));
    // Walked paths are absolute and normalized (search paths joined with readdir names), and so
    // is the workspace: below it, on POSIX, the archive name is what follows it. path.resolve and
    // path.relative per item were a fifth of resolving 50,000 files.
    const below = path.sep === '/' ? `${ctx.workspace.replace(/\/$/, '')}/` : undefined;
    walk(search, (match, entry) => {
      const absolute = path.isAbsolute(match) ? match : path.resolve(match);
      if (found.has(absolute)) return;
      const name =
        below && absolute.startsWith(below)
          ? absolute.slice(below.length)
          : toArchiveName(ctx.workspace, absolute);
      // The workspace directory itself (matched by `**` or `.`) is where restore extracts into,
      // not something to restore; its contents are matched individually.
      if (name === '.') return;
      const item = describe(absolute, name, entry, opts.onWarning);
      if (item) found.set(absolute, item);
    });
  } catch (err) {
    if (err instanceof S3CacheError) throw err;
    throw new PathResolutionError(`cannot resolve cache paths: ${(err as Error).message}`, { cause: err });
  }

  const items = [...found.values()].sort((a, b) => compareArchiveNames(a.name, b.name));
  return { items, roots };
}

/*
 * @actions/glob's own walker awaits an fs.promises lstat per entry and a readdir per directory,
 * one after the other: a thread-pool round trip each, 3–4 s for 50,000 files where tar needs
 * 0.4 s. We keep its matching (its Pattern objects, search paths and traversal rules, so the set
 * of matches cannot drift from upstream's) and walk synchronously instead, taking each entry's
 * type from readdir's Dirent rather than from an lstat. That blocks the event loop for the walk
 * (about 0.5 s for 50,000 files), which nothing minds: it runs before the save starts anything.
 *
 * The package exports neither Pattern nor its helpers (deep imports are blocked by "exports",
 * and the action is bundled, so no path into node_modules survives), so the parsed patterns are
 * taken from the globber that glob.create returns. The shape is checked, and the equivalence
 * test in resolve.equivalence.test.ts runs the real globGenerator against this walk.
 */

/** The part of @actions/glob's (internal) Pattern that the walk uses. */
interface GlobPattern {
  readonly negate: boolean;
  readonly segments: string[];
  readonly trailingSeparator: boolean;
  match(itemPath: string): number;
  partialMatch(itemPath: string): boolean;
}

type GlobPatternConstructor = new (
  negate: boolean,
  isImplicitPattern: boolean,
  segments: string[],
) => GlobPattern;

interface GlobSearch {
  /** Patterns including implicit descendants, as DefaultGlobber.globGenerator builds them. */
  readonly patterns: GlobPattern[];
  readonly searchPaths: string[];
}

// @actions/glob's MatchKind bits.
const MATCH_DIRECTORY = 1;
const MATCH_FILE = 2;

/** What the walk knows about an entry's type: a Dirent, or the lstat of a search path. */
type EntryKind = Pick<Stats, 'isDirectory' | 'isFile' | 'isSymbolicLink'>;

async function globSearch(globs: string): Promise<GlobSearch> {
  const globber = await glob.create(globs, GLOB_OPTIONS);
  const own = (globber as unknown as { patterns?: unknown }).patterns;
  if (!Array.isArray(own) || own.length === 0 || !own.every(isGlobPattern)) {
    throw new Error('unsupported @actions/glob version: its globber no longer exposes its patterns');
  }
  const patterns: GlobPattern[] = [];
  for (const pattern of own) {
    patterns.push(pattern);
    // implicitDescendants, exactly as DefaultGlobber.globGenerator adds them.
    if (pattern.trailingSeparator || pattern.segments[pattern.segments.length - 1] !== '**') {
      const Pattern = pattern.constructor as GlobPatternConstructor;
      patterns.push(new Pattern(pattern.negate, true, pattern.segments.concat('**')));
    }
  }
  // An implicit pattern has the same search path as the one it extends, so the globber's list
  // (computed from the explicit patterns) is the one globGenerator computes from all of them.
  return { patterns, searchPaths: globber.getSearchPaths() };
}

function isGlobPattern(value: unknown): value is GlobPattern {
  const p = value as Partial<GlobPattern> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.negate === 'boolean' &&
    typeof p.trailingSeparator === 'boolean' &&
    Array.isArray(p.segments) &&
    typeof p.match === 'function' &&
    typeof p.partialMatch === 'function' &&
    typeof p.constructor === 'function'
  );
}

/** patternHelper.match: includes add their match kinds, exclusions remove theirs. */
function matchKind(patterns: readonly GlobPattern[], itemPath: string): number {
  let result = 0;
  for (const pattern of patterns) {
    if (pattern.negate) result &= ~pattern.match(itemPath);
    else result |= pattern.match(itemPath);
  }
  return result;
}

/** patternHelper.partialMatch: whether an include pattern may match below `itemPath`. */
function mayMatchBelow(patterns: readonly GlobPattern[], itemPath: string): boolean {
  return patterns.some((p) => !p.negate && p.partialMatch(itemPath));
}

/**
 * DefaultGlobber.globGenerator with followSymbolicLinks false, matchDirectories true and hidden
 * files included: depth-first, children in readdir order, calling `onMatch` in the order the
 * generator yields. A symlink is never descended into, whatever it points at.
 */
function walk(search: GlobSearch, onMatch: (match: string, entry: EntryKind) => void): void {
  const { patterns } = search;
  const stack: { path: string; entry: EntryKind }[] = [];
  for (const searchPath of search.searchPaths) {
    // Only a missing search path is skipped; anything else (ENOTDIR, EACCES) fails, as upstream.
    const stats = lstatSync(searchPath, { throwIfNoEntry: false });
    if (stats) stack.unshift({ path: searchPath, entry: stats });
  }
  for (let item = stack.pop(); item; item = stack.pop()) {
    const match = matchKind(patterns, item.path);
    // As upstream: a directory that matches at all (even only as a file, when an exclusion with
    // a trailing separator removed its directory match) is descended into.
    if (match === 0 && !mayMatchBelow(patterns, item.path)) continue;
    if (item.entry.isDirectory()) {
      if (match & MATCH_DIRECTORY) onMatch(item.path, item.entry);
      const children = readdirSync(item.path, { withFileTypes: true });
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i] as Dirent;
        stack.push({ path: path.join(item.path, child.name), entry: child });
      }
    } else if (match & MATCH_FILE) {
      onMatch(item.path, item.entry);
    }
  }
}

/**
 * The extraction roots for `patterns` without touching the disk: what restore passes to
 * extractTar. Same value as `resolveCachePaths(...).roots`.
 */
export function resolveCacheRoots(patterns: string[], opts: RootsOptions): string[] {
  const ctx = patternContext(opts);
  return rootsOf(parsePatterns(normalizePathLines(patterns), ctx), ctx.workspace);
}

function patternContext(opts: RootsOptions): PatternContext {
  return { workspace: path.resolve(opts.workspace), home: path.resolve(opts.home ?? os.homedir()) };
}

/**
 * The item for a match, typed from what the walk already knows (readdir's Dirent, or the lstat of
 * a search path): no system call per file. Whatever changes before the archiver reaches it (a
 * file removed, or replaced by something else) is found and reported there, when it is opened.
 */
function describe(
  absolute: string,
  name: string,
  entry: EntryKind,
  onWarning: ((message: string) => void) | undefined,
): ResolvedItem | undefined {
  const type = itemType(entry);
  if (!type) {
    onWarning?.(`skipping ${name}: not a regular file, directory or symbolic link`);
    return undefined;
  }
  return { path: absolute, name, type };
}

function itemType(entry: EntryKind): ResolvedItemType | undefined {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  return undefined;
}
