import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeltaResults } from '../../core/bench/deltas.js';
import { REPO_ROOT } from './lab.js';
import { run } from './util.js';

/** Runs a node command, streams its stderr through, and returns its stdout. */
async function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await run(process.execPath, args, { cwd, env, stderr: 'inherit' })).stdout;
}

/**
 * packages/core/bench/deltas.ts (chunk-level delta savings on the directory store), run as it
 * runs on its own; its results are read back from bench-results/deltas.json.
 */
export async function runDeltas(quick: boolean): Promise<DeltaResults> {
  const core = join(REPO_ROOT, 'packages', 'core');
  await runNode(
    ['--conditions=source', '--import', 'tsx', 'bench/deltas.ts', ...(quick ? ['--quick'] : [])],
    core,
  );
  return JSON.parse(await readFile(join(REPO_ROOT, 'bench-results', 'deltas.json'), 'utf8')) as DeltaResults;
}

export interface PlannerResults {
  objects: number;
  /** Phase name -> wall seconds. */
  phases: Record<string, number>;
  peakRssMiB: number | undefined;
  peakHeapMiB: number | undefined;
  /** The benchmark's own report, verbatim. */
  output: string[];
}

/** Parses the janitor planner benchmark's report (packages/janitor-lambda/bench/planner.ts). Pure. */
export function parsePlannerOutput(text: string, objects: number): PlannerResults {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const phases: Record<string, number> = {};
  let peakRssMiB: number | undefined;
  let peakHeapMiB: number | undefined;
  for (const line of lines) {
    const phase = /^\s+(.+?)\s{2,}([\d.]+) s wall/.exec(line);
    if (phase) phases[(phase[1] as string).trim()] = Number(phase[2]);
    const rss = /^\s+peak RSS\s+(\d+) MB/.exec(line);
    if (rss) peakRssMiB = Number(rss[1]);
    const heap = /^\s+peak heap used\s+(\d+) MB/.exec(line);
    if (heap) peakHeapMiB = Number(heap[1]);
  }
  return { objects, phases, peakRssMiB, peakHeapMiB, output: lines };
}

/** The janitor planner at scale: its own bundle and runner (`pnpm --filter @s3cache/janitor-lambda bench`). */
export async function runPlanner(objects: number): Promise<PlannerResults> {
  const dir = join(REPO_ROOT, 'packages', 'janitor-lambda');
  await runNode(['build.mjs', 'bench'], dir);
  const out = await runNode(['--expose-gc', 'dist/bench/planner.mjs'], dir, {
    ...process.env,
    OBJECTS: String(objects),
  });
  return parsePlannerOutput(out, objects);
}

export type { DeltaResults, DeltaRow } from '../../core/bench/deltas.js';
