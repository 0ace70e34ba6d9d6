/**
 * Delta benchmark (issue: chunk-level deltas). For a compiler-cache-like tree and a
 * package-store-like tree, and several chunking settings, measures:
 *   - delta bytes ÷ compressed bytes of the changed files (target ≤ 1.5),
 *   - restore time of base + delta against a base alone holding the same tree,
 *   - chunking CPU cost (tar + chunk + sha256 throughput, no compression).
 * Runs on the directory store so the network does not blur the numbers. Prints a Markdown table
 * and writes bench-results/deltas.json at the repository root.
 *
 *   pnpm --filter @s3cache/core bench:deltas [-- --quick]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  Chunker,
  type ChunkerOptions,
  createTarStream,
  DirStore,
  defaultCodec,
  Layout,
  resolveCachePaths,
  restoreCache,
  saveCache,
} from '../src/index.js';
import {
  changeCompilerCache,
  changePackageStore,
  makeCompilerCache,
  makePackageStore,
  type TreeChange,
} from './trees.js';

const quick = process.argv.includes('--quick');
const KiB = 1024;
const settings: Record<string, ChunkerOptions> = {
  '256K (64K-1M)': { minSize: 64 * KiB, avgSize: 256 * KiB, maxSize: 1024 * KiB },
  '16K (4K-64K)': { minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB },
  '64K (16K-256K), files ≥ 8K aligned': {
    minSize: 16 * KiB,
    avgSize: 64 * KiB,
    maxSize: 256 * KiB,
    fileAlignBytes: 8 * KiB,
  },
  '32K (8K-128K), files ≥ 8K aligned': {
    minSize: 8 * KiB,
    avgSize: 32 * KiB,
    maxSize: 128 * KiB,
    fileAlignBytes: 8 * KiB,
  },
  '16K (4K-64K), files ≥ 4K aligned': {
    minSize: 4 * KiB,
    avgSize: 16 * KiB,
    maxSize: 64 * KiB,
    fileAlignBytes: 4 * KiB,
  },
};

/** One tree under one chunking setting (bench-results/deltas.json; read by packages/bench). */
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

const version = 'd'.repeat(64);
const scope = 'refs/heads/main';

async function compressedSize(root: string, change: TreeChange): Promise<number> {
  const codec = defaultCodec();
  let total = 0;
  for (const name of change.written)
    total += (await codec.compress(await fs.readFile(join(root, name)), 3)).length;
  return total;
}

async function chunkThroughput(workspace: string, chunking: ChunkerOptions): Promise<number> {
  const { items } = await resolveCachePaths(['tree'], { workspace });
  const chunker = new Chunker(chunking);
  const started = performance.now();
  let bytes = 0;
  for await (const data of createTarStream(items)) {
    bytes += (data as Buffer).length;
    for (const chunk of chunker.push(data as Buffer)) createHash('sha256').update(chunk).digest();
  }
  for (const chunk of chunker.flush()) createHash('sha256').update(chunk).digest();
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

async function timedRestore(
  ctx: { store: DirStore; layout: Layout },
  key: string,
  work: string,
): Promise<number> {
  const target = await fs.mkdtemp(join(work, 'restore-'));
  const started = performance.now();
  const result = await restoreCache(ctx, {
    repository: 'bench/deltas',
    scopes: [scope],
    version,
    primaryKey: key,
    restoreKeys: [],
    paths: ['tree'],
    workspace: target,
  });
  const seconds = (performance.now() - started) / 1000;
  if (!result.cacheHit) throw new Error(`restore of ${key} missed`);
  await fs.rm(target, { recursive: true, force: true });
  return seconds;
}

async function run(
  treeName: string,
  make: (root: string) => Promise<string[]>,
  change: (root: string, names: string[]) => Promise<TreeChange>,
): Promise<DeltaRow[]> {
  const rows: DeltaRow[] = [];
  for (const [label, chunking] of Object.entries(settings)) {
    const work = await fs.mkdtemp(join(tmpdir(), 's3cache-bench-deltas-'));
    try {
      const workspace = join(work, 'ws');
      const names = await make(join(workspace, 'tree'));
      const ctx = { store: new DirStore(join(work, 'store')), layout: new Layout() };
      const common = { repository: 'bench/deltas', scope, version, paths: ['tree'], workspace, chunking };
      const base = await saveCache(ctx, { ...common, key: 'k' });
      const changed = await change(join(workspace, 'tree'), names);
      const changedCompressed = await compressedSize(join(workspace, 'tree'), changed);
      const delta = await saveCache(ctx, { ...common, key: 'k' });
      if (delta.outcome !== 'delta') throw new Error(`expected a delta, got ${delta.outcome}`);
      const alone = await saveCache(ctx, { ...common, key: 'alone' });
      rows.push({
        tree: treeName,
        chunking: label,
        rawMiB: base.rawBytes / 2 ** 20,
        baseMiB: base.uploadedBytes / 2 ** 20,
        chunks: base.totalChunks,
        changedFiles: changed.written.length + changed.removed.length,
        changedCompressedKiB: changedCompressed / KiB,
        deltaKiB: delta.uploadedBytes / KiB,
        ratio: delta.uploadedBytes / changedCompressed,
        restoreBaseDeltaS: await timedRestore(ctx, 'k', work),
        restoreBaseAloneS: await timedRestore(ctx, 'alone', work),
        chunkMBps: await chunkThroughput(workspace, chunking),
      });
      void alone;
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  return rows;
}

const scale = quick ? 0.25 : 1;
const rows = [
  ...(await run(
    'compiler cache (3% rewritten, +1% new)',
    (root) => makeCompilerCache(root, Math.round(6000 * scale)),
    (root, names) => changeCompilerCache(root, names, 0.03),
  )),
  ...(await run(
    'package store (2% packages removed, 2% added)',
    (root) => makePackageStore(root, Math.round(1500 * scale)),
    (root, names) => changePackageStore(root, names, 0.04),
  )),
];

const f = (n: number, d = 1) => n.toFixed(d);
console.log(`\nDelta benchmark (codec ${defaultCodec().name}, Node ${process.version})\n`);
console.log(
  '| tree | chunking | raw MiB | base MiB | chunks | changed files | changed, compressed KiB | delta KiB | delta ÷ changed | restore base+delta s | restore base alone s | chunk+hash MB/s |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.tree} | ${r.chunking} | ${f(r.rawMiB)} | ${f(r.baseMiB)} | ${r.chunks} | ${r.changedFiles} | ${f(r.changedCompressedKiB, 0)} | ${f(r.deltaKiB, 0)} | ${f(r.ratio, 2)} | ${f(r.restoreBaseDeltaS, 2)} | ${f(r.restoreBaseAloneS, 2)} | ${f(r.chunkMBps, 0)} |`,
  );
}
/** The shape of bench-results/deltas.json. */
export interface DeltaResults {
  node: string;
  codec: string;
  rows: DeltaRow[];
}

const out = join(import.meta.dirname, '../../../bench-results');
await fs.mkdir(out, { recursive: true });
await fs.writeFile(
  join(out, 'deltas.json'),
  `${JSON.stringify({ node: process.version, codec: defaultCodec().name, rows } satisfies DeltaResults, null, 2)}\n`,
);
