import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './lab.js';

/** Runs a node command, streams its stderr through, and returns its stdout. */
function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`node ${args.join(' ')} (in ${cwd}) exited ${code}`)),
    );
  });
}

export interface DeltaRow {
  tree: string;
  chunking: string;
  rawMiB: number;
  baseMiB: number;
  chunks: number;
  changedFiles: number;
  changedCompressedKiB: number;
  deltaKiB: number;
  ratio: number;
  restoreBaseDeltaS: number;
  restoreBaseAloneS: number;
  chunkMBps: number;
}

export interface DeltaResults {
  node: string;
  codec: string;
  rows: DeltaRow[];
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
