import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type ItemType = 'file' | 'directory' | 'symlink' | 'other';

export interface TreeItem {
  type: ItemType;
  /** Permission bits (0o7777); 0 for symlinks, whose own mode means nothing on most systems. */
  mode: number;
  size: number;
  target: string | undefined;
}

export type Snapshot = Map<string, TreeItem>;

export interface Difference {
  path: string;
  problem: string;
}

/** Every item below `root` (relative `/`-separated paths), without following symlinks. */
export async function snapshotTree(root: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const walk = async (dir: string, rel: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const stats = await lstat(full);
      const type: ItemType = stats.isSymbolicLink()
        ? 'symlink'
        : stats.isDirectory()
          ? 'directory'
          : stats.isFile()
            ? 'file'
            : 'other';
      out.set(path, {
        type,
        mode: type === 'symlink' ? 0 : stats.mode & 0o7777,
        size: type === 'file' ? stats.size : 0,
        target: type === 'symlink' ? await readlink(full) : undefined,
      });
      if (type === 'directory') await walk(full, path);
    }
  };
  await walk(root, '');
  return out;
}

/** Structural differences: missing, extra, type, mode, size, symlink target. Pure. */
export function compareSnapshots(expected: Snapshot, actual: Snapshot): Difference[] {
  const out: Difference[] = [];
  for (const [path, want] of expected) {
    const got = actual.get(path);
    if (!got) {
      out.push({ path, problem: `missing ${want.type}` });
      continue;
    }
    if (got.type !== want.type) out.push({ path, problem: `is a ${got.type}, expected a ${want.type}` });
    else if (got.mode !== want.mode) {
      out.push({ path, problem: `mode ${got.mode.toString(8)}, expected ${want.mode.toString(8)}` });
    } else if (got.size !== want.size)
      out.push({ path, problem: `${got.size} bytes, expected ${want.size}` });
    else if (got.target !== want.target)
      out.push({ path, problem: `points to ${got.target}, expected ${want.target}` });
  }
  for (const [path, got] of actual)
    if (!expected.has(path)) out.push({ path, problem: `unexpected ${got.type}` });
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export interface VerifyResult {
  items: number;
  files: number;
  directories: number;
  symlinks: number;
  bytesCompared: number;
  differences: Difference[];
}

const COMPARES_IN_FLIGHT = 8;

/** Compares two trees: structure and metadata, then every file's bytes. */
export async function verifyTrees(expectedRoot: string, actualRoot: string): Promise<VerifyResult> {
  const [expected, actual] = await Promise.all([snapshotTree(expectedRoot), snapshotTree(actualRoot)]);
  const differences = compareSnapshots(expected, actual);
  const differing = new Set(differences.map((d) => d.path));
  const files = [...expected]
    .filter(([path, item]) => item.type === 'file' && !differing.has(path))
    .map(([path]) => path);
  let bytesCompared = 0;
  for (let i = 0; i < files.length; i += COMPARES_IN_FLIGHT) {
    await Promise.all(
      files.slice(i, i + COMPARES_IN_FLIGHT).map(async (path) => {
        const [a, b] = await Promise.all([
          readFile(join(expectedRoot, path)),
          readFile(join(actualRoot, path)),
        ]);
        bytesCompared += a.length;
        if (!a.equals(b)) differences.push({ path, problem: 'content differs' });
      }),
    );
  }
  const count = (type: ItemType) => [...expected.values()].filter((i) => i.type === type).length;
  return {
    items: expected.size,
    files: count('file'),
    directories: count('directory'),
    symlinks: count('symlink'),
    bytesCompared,
    differences,
  };
}
