import { lstatSync, type Stats } from 'node:fs';
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
  /** Size in bytes when resolved (files only, 0 otherwise): for progress and estimates. */
  readonly size: number;
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
    const globber = await glob.create(parsed.map((p) => p.glob).join('\n'), GLOB_OPTIONS);
    for await (const match of globber.globGenerator()) {
      const absolute = path.resolve(match);
      if (found.has(absolute)) continue;
      const name = toArchiveName(ctx.workspace, absolute);
      // The workspace directory itself (matched by `**` or `.`) is where restore extracts into,
      // not something to restore; its contents are matched individually.
      if (name === '.') continue;
      const item = await describe(absolute, name, opts.onWarning);
      if (item) found.set(absolute, item);
    }
  } catch (err) {
    if (err instanceof S3CacheError) throw err;
    throw new PathResolutionError(`cannot resolve cache paths: ${(err as Error).message}`, { cause: err });
  }

  const items = [...found.values()].sort((a, b) => compareArchiveNames(a.name, b.name));
  return { items, roots };
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

async function describe(
  absolute: string,
  name: string,
  onWarning: ((message: string) => void) | undefined,
): Promise<ResolvedItem | undefined> {
  // Synchronous: an awaited lstat per match (a thread-pool round trip each, one after the other)
  // took as long as the glob walk itself for 50,000 files.
  const stats: Stats | undefined = lstatSync(absolute, { throwIfNoEntry: false });
  if (!stats) {
    onWarning?.(`skipping ${name}: removed while resolving cache paths`);
    return undefined;
  }
  const type = itemType(stats);
  if (!type) {
    onWarning?.(`skipping ${name}: not a regular file, directory or symbolic link`);
    return undefined;
  }
  return { path: absolute, name, type, size: type === 'file' ? stats.size : 0 };
}

function itemType(stats: Stats): ResolvedItemType | undefined {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  return undefined;
}
