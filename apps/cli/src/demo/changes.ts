import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ContentGenerator } from './content.js';
import type { Random } from './random.js';
import { type GeneratedTree, objectPath, type TreeFile } from './tree.js';

export interface ChangeRatios {
  modify: number;
  remove: number;
  add: number;
}

/** A rebuild after a small code change: a few percent of objects recompiled, some new, some gone. */
export const DEFAULT_CHANGES: ChangeRatios = { modify: 0.02, remove: 0.005, add: 0.005 };

export interface ChangePlan {
  modify: TreeFile[];
  remove: TreeFile[];
  add: TreeFile[];
  /** A region overwritten in the middle of a large file (a precompiled header rebuilt in part). */
  patch: { file: TreeFile; offset: number; length: number } | undefined;
}

/** Which files change. Pure: a function of the file list and the generator. */
export function planChanges(
  files: readonly TreeFile[],
  rng: Random,
  ratios: ChangeRatios = DEFAULT_CHANGES,
): ChangePlan {
  const objects = files.filter((f) => f.path.endsWith('.o'));
  const large = files.filter((f) => f.path.endsWith('.gch'));
  const picks = rng.sample(objects.length, Math.round(objects.length * (ratios.modify + ratios.remove)));
  const modifyCount = Math.round(objects.length * ratios.modify);
  const modify = picks.slice(0, modifyCount).map((i) => objects[i] as TreeFile);
  const remove = picks.slice(modifyCount).map((i) => objects[i] as TreeFile);
  const add: TreeFile[] = [];
  for (let i = 0; i < Math.max(1, Math.round(objects.length * ratios.add)); i++) {
    add.push({ path: objectPath(rng), size: rng.logUniform(1024, 64 * 1024), mode: 0o644 });
  }
  const target = large[rng.int(large.length)];
  const patch =
    target && target.size > 256 * 1024
      ? { file: target, offset: Math.floor(target.size / 2), length: 64 * 1024 }
      : undefined;
  return { modify, remove, add, patch };
}

export interface ChangeSummary {
  modified: number;
  removed: number;
  added: number;
  patchedBytes: number;
}

/** Applies the plan to the tree on disk and updates `tree` to match. */
export async function applyChanges(
  tree: GeneratedTree,
  plan: ChangePlan,
  content: ContentGenerator,
): Promise<ChangeSummary> {
  for (const file of plan.modify) {
    const body = content.generate(file.size);
    await writeFile(join(tree.root, file.path), body);
  }
  for (const file of plan.remove) await rm(join(tree.root, file.path));
  for (const file of plan.add) {
    const path = join(tree.root, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content.generate(file.size), { mode: file.mode });
  }
  if (plan.patch) {
    const handle = await open(join(tree.root, plan.patch.file.path), 'r+');
    try {
      await handle.write(content.generate(plan.patch.length), 0, plan.patch.length, plan.patch.offset);
    } finally {
      await handle.close();
    }
  }
  const removed = new Set(plan.remove.map((f) => f.path));
  tree.files = [...tree.files.filter((f) => !removed.has(f.path)), ...plan.add];
  tree.bytes = tree.files.reduce((sum, f) => sum + f.size, 0);
  return {
    modified: plan.modify.length,
    removed: plan.remove.length,
    added: plan.add.length,
    patchedBytes: plan.patch?.length ?? 0,
  };
}
