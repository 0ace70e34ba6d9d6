import path from 'node:path';
import { InvalidPathPatternError } from './errors.js';
import { collapseNested, toArchiveName } from './names.js';

/*
 * Pure translation of actions/cache `path` lines into absolute @actions/glob patterns.
 *
 * @actions/glob resolves relative patterns against process.cwd() and `~` against os.homedir(),
 * and cannot be told otherwise; we anchor every pattern ourselves so that resolution depends only
 * on the workspace and home we are given. The literal-segment and escaping rules below mirror
 * @actions/glob's `Pattern.getLiteral` / `Pattern.globEscape` (not exported by the package), so
 * that what we call "the literal prefix" is exactly the directory glob starts searching from.
 */

const IS_WINDOWS = process.platform === 'win32';
const SEPARATORS = IS_WINDOWS ? /[\\/]/ : /\//;

export interface PatternContext {
  /** Absolute workspace directory: relative patterns and archive names are relative to it. */
  workspace: string;
  /** Absolute home directory that `~` expands to. */
  home: string;
}

export interface ParsedPattern {
  /** The line as given (after `! foo` → `!foo` normalisation). */
  readonly source: string;
  /** An exclusion (`!`); parity of leading `!`s as in @actions/glob. */
  readonly negate: boolean;
  /** Absolute pattern for @actions/glob, including the leading `!` when negated. */
  readonly glob: string;
  /** Absolute, normalised path of the literal segments before the first wildcard segment. */
  readonly base: string;
}

/**
 * Parses normalised `path` lines. Lines starting with `#` are comments in @actions/glob and are
 * skipped here too, so both sides agree on what a workflow caches.
 */
export function parsePatterns(lines: readonly string[], ctx: PatternContext): ParsedPattern[] {
  const parsed: ParsedPattern[] = [];
  for (const line of lines) {
    const pattern = parsePattern(line, ctx);
    if (pattern) parsed.push(pattern);
  }
  return parsed;
}

export function parsePattern(line: string, ctx: PatternContext): ParsedPattern | undefined {
  if (line.startsWith('#')) return undefined;
  let rest = line.trim();
  let negate = false;
  while (rest.startsWith('!')) {
    negate = !negate;
    rest = rest.slice(1).trim();
  }
  if (rest === '') throw new InvalidPathPatternError(line, 'no path after "!"');

  const anchored = anchor(rest, ctx);
  const { root } = path.parse(anchored);
  const trailingSeparator = SEPARATORS.test(anchored.slice(-1)) && anchored.length > root.length;
  const segments = anchored
    .slice(root.length)
    .split(SEPARATORS)
    .filter((segment) => segment !== '');

  const literal: string[] = [];
  let firstGlob = 0;
  for (; firstGlob < segments.length; firstGlob++) {
    const value = literalSegment(segments[firstGlob] ?? '');
    if (value === undefined) break;
    literal.push(value);
  }
  const wildcardPart = segments.slice(firstGlob);
  for (const segment of wildcardPart) {
    const value = literalSegment(segment);
    // `.`/`..` after a wildcard has no single meaning (`a/*/..` is every parent of a match);
    // @actions/glob refuses them anywhere, we only refuse them where they cannot be resolved.
    if (value === '.' || value === '..') {
      throw new InvalidPathPatternError(line, `'${value}' is not allowed after a wildcard`);
    }
  }

  // Lexical normalisation of `.`/`..` in the literal part: upstream rejects `../x` outright, we
  // resolve it so caches next to the workspace work (they are stored as `../` names).
  const base = path.resolve(root, ...literal);
  const escapedBase = globEscape(base);
  let glob = escapedBase;
  if (wildcardPart.length > 0) {
    glob = `${escapedBase.endsWith(path.sep) ? escapedBase : escapedBase + path.sep}${wildcardPart.join(path.sep)}`;
  }
  // A trailing separator means "directories only" to @actions/glob; keep it.
  if (trailingSeparator && !glob.endsWith(path.sep)) glob += path.sep;

  return { source: line, negate, glob: negate ? `!${glob}` : glob, base };
}

/**
 * The extraction roots for a set of patterns, as archive names (workspace-relative, `/`): the
 * literal prefix of each include pattern, nested roots folded into their ancestor. Restore may
 * write only at or below these.
 */
export function rootsOf(patterns: readonly ParsedPattern[], workspace: string): string[] {
  const bases = patterns.filter((p) => !p.negate).map((p) => p.base);
  return collapseNested(bases).map((base) => toArchiveName(workspace, base));
}

function anchor(pattern: string, ctx: PatternContext): string {
  if (pattern === '~' || pattern.startsWith('~/') || (IS_WINDOWS && pattern.startsWith('~\\'))) {
    return globEscape(ctx.home) + pattern.slice(1);
  }
  if (path.isAbsolute(pattern)) return pattern;
  return globEscape(ctx.workspace) + path.sep + pattern;
}

/** Escapes a literal path so that @actions/glob matches it verbatim (its `globEscape`). */
export function globEscape(literal: string): string {
  return (IS_WINDOWS ? literal : literal.replace(/\\/g, '\\\\'))
    .replace(/(\[)(?=[^/]+\])/g, '[[]')
    .replace(/\?/g, '[?]')
    .replace(/\*/g, '[*]');
}

/**
 * The literal text of a pattern segment, or undefined when it contains a wildcard: `*`, `?`, or a
 * bracket set of more than one character (`[x]` is just an escaped `x`). On POSIX `\` escapes
 * the next character. Braces and extglobs are literal: @actions/glob disables both.
 */
export function literalSegment(segment: string): string | undefined {
  let literal = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charAt(i);
    if (c === '\\' && !IS_WINDOWS && i + 1 < segment.length) {
      literal += segment.charAt(++i);
      continue;
    }
    if (c === '*' || c === '?') return undefined;
    if (c === '[' && i + 1 < segment.length) {
      let set = '';
      let closed = -1;
      for (let j = i + 1; j < segment.length; j++) {
        const d = segment.charAt(j);
        if (d === '\\' && !IS_WINDOWS && j + 1 < segment.length) {
          set += segment.charAt(++j);
          continue;
        }
        if (d === ']') {
          closed = j;
          break;
        }
        set += d;
      }
      if (closed >= 0) {
        if (set.length > 1) return undefined;
        if (set) {
          literal += set;
          i = closed;
          continue;
        }
      }
    }
    literal += c;
  }
  return literal;
}
