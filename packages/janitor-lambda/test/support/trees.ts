import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { type CacheContext, type SaveResult, saveCache } from '@s3cache/core';

export const VERSION = 'c'.repeat(64);
/** Small chunks, so that a small edit makes a small delta (and a save writes an update, not a rebase). */
export const SMALL_CHUNKS = { minSize: 1024, avgSize: 4096, maxSize: 16 * 1024 };

/** Writes `files` random files of `size` bytes under `<workspace>/cache`. */
export async function makeTree(workspace: string, files = 8, size = 4096): Promise<void> {
  const dir = join(workspace, 'cache');
  await fs.mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++) await fs.writeFile(join(dir, `f${i}.bin`), randomBytes(size));
}

/** Rewrites one file: the next save of the same key becomes a small delta. */
export async function touchTree(workspace: string, file = 0): Promise<void> {
  await fs.writeFile(join(workspace, 'cache', `f${file}.bin`), randomBytes(512));
}

export async function save(
  ctx: CacheContext,
  workspace: string,
  repository: string,
  scope: string,
  key: string,
): Promise<SaveResult> {
  return saveCache(ctx, {
    repository,
    scope,
    version: VERSION,
    key,
    paths: ['cache'],
    workspace,
    chunking: SMALL_CHUNKS,
    concurrency: 2,
    // Trees here are a few KiB: a one-file change can outweigh half the base, which would turn
    // the deltas these tests build into rebases.
    rebaseRatio: 10,
  });
}

/** Relative path -> sha256 of every file below root. */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        out[full.slice(root.length + 1)] = createHash('sha256')
          .update(await fs.readFile(full))
          .digest('hex');
    }
  };
  await walk(root);
  return out;
}
