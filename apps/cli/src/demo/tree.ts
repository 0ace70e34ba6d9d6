import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ContentGenerator } from './content.js';
import type { Random } from './random.js';

/** The shape of the demo tree; `scaled` shrinks it for quick runs and tests. */
export interface TreeSpec {
  smallFiles: number;
  smallMin: number;
  smallMax: number;
  largeFiles: number;
  largeMin: number;
  largeMax: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** About 140 MiB: 4,096 object files (1–64 KiB) in 16×16 hash directories and 16 precompiled headers (2–8 MiB). */
export const DEFAULT_TREE: TreeSpec = {
  smallFiles: 4096,
  smallMin: 1 * KiB,
  smallMax: 64 * KiB,
  largeFiles: 16,
  largeMin: 2 * MiB,
  largeMax: 8 * MiB,
};

export function scaledTree(scale: number, spec: TreeSpec = DEFAULT_TREE): TreeSpec {
  return {
    ...spec,
    smallFiles: Math.max(16, Math.round(spec.smallFiles * scale)),
    largeFiles: Math.max(1, Math.round(spec.largeFiles * scale)),
  };
}

export interface TreeFile {
  /** Relative to the tree's root, `/`-separated. */
  path: string;
  size: number;
  mode: number;
}

export interface GeneratedTree {
  /** The directory the cache path names (`<workspace>/ccache`). */
  root: string;
  files: TreeFile[];
  bytes: number;
  symlinks: number;
  emptyDirs: number;
}

const WRITES_IN_FLIGHT = 16;
const hex = (rng: Random, digits: number) => {
  let s = '';
  while (s.length < digits) s += rng.next().toString(16).padStart(8, '0');
  return s.slice(0, digits);
};

/** A name for a new object file, in a random one of the 256 hash directories (as ccache does). */
export function objectPath(rng: Random): string {
  const h = hex(rng, 32);
  return `${h[0]}/${h[1]}/${h.slice(2)}.o`;
}

/**
 * Writes a compiler-cache-like tree: object files of mixed sizes and modes in 16×16 hash
 * directories, a few MB-sized precompiled headers, a config file, an executable script, a
 * symlink and an empty directory.
 */
export async function generateTree(
  root: string,
  spec: TreeSpec,
  content: ContentGenerator,
  rng: Random,
  onProgress: (bytes: number, total: number) => void = () => {},
): Promise<GeneratedTree> {
  const files: TreeFile[] = [];
  for (let i = 0; i < spec.smallFiles; i++) {
    // Most objects are 0644; some are private (0600), as a cache run under a umask of 077 leaves them.
    files.push({
      path: objectPath(rng),
      size: rng.logUniform(spec.smallMin, spec.smallMax),
      mode: i % 37 === 0 ? 0o600 : 0o644,
    });
  }
  for (let i = 0; i < spec.largeFiles; i++) {
    files.push({
      path: `precompiled/pch-${String(i).padStart(2, '0')}.gch`,
      size: spec.largeMin + rng.int(spec.largeMax - spec.largeMin),
      mode: 0o644,
    });
  }
  files.push({ path: 'ccache.conf', size: 0, mode: 0o644 });
  files.push({ path: 'bin/compiler-wrapper.sh', size: 0, mode: 0o755 });
  const total = files.reduce((sum, f) => sum + f.size, 0);

  await mkdir(root, { recursive: true });
  const dirs = new Set(files.map((f) => dirname(join(root, f.path))));
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  let written = 0;
  const write = async (file: TreeFile) => {
    const body =
      file.path === 'ccache.conf'
        ? Buffer.from('max_size = 5G\ncompression = false\nsloppiness = time_macros\n')
        : file.path.endsWith('.sh')
          ? Buffer.from('#!/bin/sh\nexec ccache "$@"\n')
          : content.generate(file.size);
    file.size = body.length;
    await writeFile(join(root, file.path), body, { mode: file.mode });
    written += body.length;
    onProgress(written, total);
  };
  for (let i = 0; i < files.length; i += WRITES_IN_FLIGHT) {
    await Promise.all(files.slice(i, i + WRITES_IN_FLIGHT).map(write));
  }
  await symlink('precompiled/pch-00.gch', join(root, 'current.gch'));
  await mkdir(join(root, 'tmp'), { recursive: true });
  return { root, files, bytes: files.reduce((sum, f) => sum + f.size, 0), symlinks: 1, emptyDirs: 1 };
}
