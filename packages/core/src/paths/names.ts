import path from 'node:path';

/**
 * Archive member names: paths relative to the workspace with `/` separators, so an archive saved
 * on one runner lands in the same relative places on another (and on another OS). Items outside
 * the workspace get `../` names, as actions/cache stores them.
 */
export function toArchiveName(workspace: string, absolutePath: string): string {
  const relative = path.relative(workspace, absolutePath);
  if (relative === '') return '.';
  return path.sep === '/' ? relative : relative.split(path.sep).join('/');
}

/** True when `child` is `parent` itself or lies below it (lexically; no symlinks resolved). */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/**
 * Total order on archive names, compared segment by segment by UTF-16 code unit: independent of
 * locale and platform (so the same tree always yields the same tar bytes), and a directory always
 * sorts before everything inside it (so extraction meets parents first).
 */
export function compareArchiveNames(a: string, b: string): number {
  // Equivalent to comparing the '/'-split segments pairwise, without splitting (a sort of 50,000
  // names made 1.6 million arrays): at the first difference, a '/' ends the shorter segment, so
  // it sorts below every other code unit, and a name that ends first is a parent or a prefix.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return (x === SLASH ? -1 : x) - (y === SLASH ? -1 : y);
  }
  return a.length - b.length;
}

const SLASH = 0x2f;

/**
 * Removes duplicates and every path that lies inside another one: a nested root adds no
 * permission, and a single covering root makes the "no symlink below the root" rule stronger.
 */
export function collapseNested(absolutePaths: readonly string[]): string[] {
  const unique = [...new Set(absolutePaths.map((p) => path.resolve(p)))];
  return unique
    .filter((candidate) => !unique.some((other) => other !== candidate && isWithin(other, candidate)))
    .sort();
}
