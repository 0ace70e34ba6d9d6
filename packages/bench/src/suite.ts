import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import os from 'node:os';
import { join, relative } from 'node:path';
import type { ZstdCodec } from '@s3cache/core';
import type { ChildJob } from './child.js';
import { type Dataset, type DatasetSpec, prepareDataset } from './datasets.js';
import { runDeltas, runPlanner } from './external.js';
import { type BenchBucket, connectS3, createBenchBucket, type S3Endpoint } from './lab.js';
import {
  type BenchResults,
  evaluateGoals,
  type Machine,
  type RssResult,
  type Stat,
  stat,
  type TransferResult,
} from './report.js';
import { runChild } from './rss.js';
import {
  benchCodec,
  type CodecName,
  localCompress,
  localExtract,
  PipelineRunner,
  rawRangedGet,
  rawUpload,
  S3CacheRunner,
  type SaveTiming,
  type Timing,
} from './runners.js';
import { ensureTools, type Tools } from './tools.js';
import { load1, log, median, sh } from './util.js';

export type Section = 'transfer' | 'rss' | 'deltas' | 'planner';
export const SECTIONS: readonly Section[] = ['transfer', 'rss', 'deltas', 'planner'];

export interface SuiteConfig {
  quick: boolean;
  reps: number;
  sections: ReadonlySet<Section>;
  datasets: DatasetSpec[];
  rssSizes: { label: string; bytes: number }[];
  plannerObjects: number;
  /** Install awscli/zstd from Debian when missing. */
  install: boolean;
  /** Where datasets and restores go. */
  work: string;
  /** Keep the datasets for the next run. */
  keep: boolean;
  /** Check the first restore of each tool against the source tree (outside the timings). */
  verify: boolean;
  rawGet: { rangeBytes: number; concurrency: number };
  /** zstd codec for s3cache (default: the bundled action's, node:zlib, where this Node has it). */
  codec?: CodecName;
  /** An endpoint to use instead of the environment's or a lab of our own (tests). */
  s3?: S3Endpoint;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Sizes of the full run and of --quick (a few seconds per section, to prove the suite works). */
export function defaultConfig(quick: boolean): Omit<SuiteConfig, 'install' | 'work' | 'keep'> {
  return {
    quick,
    reps: quick ? 1 : 3,
    sections: new Set(SECTIONS),
    datasets: quick
      ? [
          { kind: 'big', name: 'big', label: 'incompressible file', files: 1, bytesPerFile: 64 * MiB },
          { kind: 'small', name: 'small', label: 'small files', files: 2_000, medianBytes: 1536 },
          { kind: 'compiler', name: 'compiler', label: 'compiler cache', files: 400 },
        ]
      : [
          { kind: 'big', name: 'big', label: '1 GiB incompressible file', files: 1, bytesPerFile: GiB },
          { kind: 'small', name: 'small', label: '50,000 small files', files: 50_000, medianBytes: 1536 },
          { kind: 'compiler', name: 'compiler', label: 'compiler cache (8,000 objects)', files: 8_000 },
        ],
    rssSizes: quick
      ? [
          { label: 'small', bytes: 32 * MiB },
          { label: 'large', bytes: 128 * MiB },
        ]
      : [
          { label: '0.5 GiB', bytes: GiB / 2 },
          { label: '2 GiB', bytes: 2 * GiB },
        ],
    plannerObjects: quick ? 50_000 : 1_000_000,
    verify: true,
    rawGet: { rangeBytes: 8 * MiB, concurrency: 8 },
  };
}

/** File names, sizes and contents of a tree, as one digest. */
async function treeDigest(root: string): Promise<string> {
  const hash = createHash('sha256');
  const entries = (await fs.readdir(root, { recursive: true, withFileTypes: true }))
    .map((e) => ({ e, path: join(e.parentPath, e.name) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const { e, path } of entries) {
    hash.update(`${relative(root, path)}\0${e.isDirectory() ? 'd' : e.isFile() ? 'f' : 'o'}\0`);
    if (e.isFile()) for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  }
  return hash.digest('hex');
}

class LoadSampler {
  readonly samples: number[] = [];
  sample(): number {
    const value = load1();
    this.samples.push(value);
    return value;
  }
  summary(): Machine['load'] {
    const s = this.samples;
    return { min: Math.min(...s), median: median(s), max: Math.max(...s), samples: s.length };
  }
}

/**
 * Runs before every timed operation: dirty pages of the previous restore go to disk first, so
 * no operation pays for an earlier one's writeback.
 */
async function settle(loads: LoadSampler): Promise<void> {
  await sh('sync');
  loads.sample();
}

interface Ctx {
  config: SuiteConfig;
  s3: S3Endpoint;
  bucket: BenchBucket;
  tools: Tools;
  loads: LoadSampler;
  codec: ZstdCodec;
  out: string;
  memstoreBytes: number;
}

/**
 * An empty bucket for the next measurement. A lab of our own is restarted instead: its OSD keeps
 * objects in RAM (1 GB stored costs it ~1.5 GB) and frees deleted ones only after RGW's garbage
 * collection, a minute or more later, so back-to-back repetitions would pile up gigabytes of RAM
 * on a machine that others share.
 */
async function fresh(c: Ctx): Promise<void> {
  if (c.s3.source !== 'lab') {
    await c.bucket.empty();
    return;
  }
  c.bucket.client.destroy();
  await c.s3.stop();
  c.s3 = await connectS3(c.memstoreBytes);
  c.bucket = await createBenchBucket(c.s3);
}

/**
 * An s3cache save or restore of `ds` as `key`, for a process of its own: the action runs each of
 * its steps in a fresh Node process, whose JIT starts cold (a compiler-cache restore took 1.6-1.8 s
 * there against 1.3 s once warm in a long-lived one).
 */
function childJob(c: Ctx, ds: Dataset, key: string, target: string): Omit<ChildJob, 'op'> {
  return {
    codec: c.codec.name,
    endpoint: c.s3.endpoint,
    accessKeyId: c.s3.accessKeyId,
    secretAccessKey: c.s3.secretAccessKey,
    region: c.s3.region,
    bucket: c.bucket.name,
    key,
    workspace: ds.workspace,
    paths: ds.paths,
    target,
  };
}

async function transferScenario(c: Ctx, ds: Dataset): Promise<TransferResult> {
  const withPipeline = !c.tools.pipelineSkipped;
  const runs = {
    s3Save: [] as Timing[],
    s3Restore: [] as Timing[],
    pSave: [] as SaveTiming[],
    pRestore: [] as Timing[],
    localCompress: [] as Timing[],
    localExtract: [] as Timing[],
    rawGet: [] as Timing[],
    rawUpload: [] as Timing[],
  };
  let packBytes = 0;
  let pipelineBytes = 0;
  let chunks: number | undefined;
  const source = c.config.verify ? await treeDigest(join(ds.workspace, 'data')) : '';
  for (let rep = 0; rep < c.config.reps; rep++) {
    await fresh(c);
    const s3cache = new S3CacheRunner(c.bucket, c.codec);
    const pipeline = withPipeline ? new PipelineRunner(c.s3, c.bucket.name) : undefined;
    const key = `${ds.name}-${rep}`;
    // Alternate which tool goes first, so neither always meets a warmer or busier machine.
    const first = rep % 2 === 0 ? 's3cache' : 'pipeline';
    const order = pipeline && first === 'pipeline' ? ['pipeline', 's3cache'] : ['s3cache', 'pipeline'];
    for (const tool of order) {
      await settle(c.loads);
      if (tool === 's3cache') {
        const r = await runChild({ ...childJob(c, ds, key, ''), op: 'save' });
        runs.s3Save.push(r);
        packBytes = r.storedBytes ?? 0;
        chunks = r.chunks;
        log(`${ds.name} #${rep + 1} s3cache save ${r.seconds.toFixed(2)} s`);
      } else if (pipeline) {
        const r = await pipeline.save(ds, key);
        runs.pSave.push(r);
        pipelineBytes = r.storedBytes;
        log(`${ds.name} #${rep + 1} pipeline save ${r.seconds.toFixed(2)} s`);
      }
    }
    for (const tool of order) {
      // A fresh directory each time (deleting a big tree right before creating one slows the
      // file system down for whoever comes next).
      const target = join(c.out, `${ds.name}-${tool}-${rep}`);
      await settle(c.loads);
      if (tool === 's3cache') {
        const r = await runChild({ ...childJob(c, ds, key, target), op: 'restore' });
        runs.s3Restore.push(r);
        log(`${ds.name} #${rep + 1} s3cache restore ${r.seconds.toFixed(2)} s`);
      } else if (pipeline) {
        const r = await pipeline.restore(key, target);
        runs.pRestore.push(r);
        log(`${ds.name} #${rep + 1} pipeline restore ${r.seconds.toFixed(2)} s`);
      } else continue;
      if (c.config.verify && rep === 0 && (await treeDigest(join(target, 'data'))) !== source) {
        throw new Error(`${tool} restored ${ds.name} with different content`);
      }
    }
    // The ceiling: the same work without the network, and the network without the work.
    const archive = join(c.out, `${ds.name}-${rep}.tar.zst`);
    if (c.tools.zstd && c.tools.tar) {
      await settle(c.loads);
      runs.localCompress.push(await localCompress(ds, archive));
      await settle(c.loads);
      runs.localExtract.push(await localExtract(archive, join(c.out, `${ds.name}-local-${rep}`)));
    }
    const pack = await s3cache.packOf(key);
    await settle(c.loads);
    runs.rawGet.push(
      await rawRangedGet(
        c.bucket.client,
        c.bucket.name,
        pack.key,
        pack.size,
        c.config.rawGet.rangeBytes,
        c.config.rawGet.concurrency,
      ),
    );
    if (c.tools.zstd && c.tools.tar) {
      await settle(c.loads);
      runs.rawUpload.push(await rawUpload(c.bucket.client, c.bucket.name, archive, `raw/${key}`));
      await fs.rm(archive, { force: true });
    }
    const last = (r: Timing[]) => r.at(-1)?.seconds.toFixed(2) ?? '–';
    log(
      `${ds.name} #${rep + 1} ceiling: local compress ${last(runs.localCompress)} s, local extract ` +
        `${last(runs.localExtract)} s, raw GET ${last(runs.rawGet)} s, raw upload ${last(runs.rawUpload)} s`,
    );
  }
  const st = (r: Timing[]): Stat => stat(r);
  return {
    dataset: { name: ds.name, label: ds.label, files: ds.files, bytes: ds.bytes },
    s3cache: { save: st(runs.s3Save), restore: st(runs.s3Restore), storedBytes: packBytes, chunks },
    pipeline: withPipeline
      ? { save: st(runs.pSave), restore: st(runs.pRestore), storedBytes: pipelineBytes }
      : undefined,
    ceiling: {
      localCompress: st(runs.localCompress),
      localExtract: st(runs.localExtract),
      rawGet: st(runs.rawGet),
      rawUpload: st(runs.rawUpload),
      rawGetSettings: `${c.config.rawGet.concurrency} × ${c.config.rawGet.rangeBytes / MiB} MiB ranges in flight`,
    },
  };
}

async function rssScenario(c: Ctx): Promise<RssResult> {
  const sizes: RssResult['sizes'] = [];
  for (const size of c.config.rssSizes) {
    await fresh(c);
    // Files of at most 256 MiB: a cache is rarely one file, and the generator stays quick.
    const perFile = Math.min(size.bytes, 256 * MiB);
    const ds = await prepareDataset(join(c.config.work, 'data'), {
      kind: 'big',
      name: `rss-${size.bytes}`,
      label: size.label,
      files: Math.ceil(size.bytes / perFile),
      bytesPerFile: perFile,
    });
    const job = childJob(c, ds, `rss-${size.bytes}`, join(c.out, `rss-${size.bytes}`));
    await settle(c.loads);
    const save = await runChild({ ...job, op: 'save' });
    await settle(c.loads);
    const restore = await runChild({ ...job, op: 'restore' });
    log(
      `rss ${size.label}: save ${(save.maxRssBytes / MiB).toFixed(0)} MiB in ${save.seconds.toFixed(2)} s, ` +
        `restore ${(restore.maxRssBytes / MiB).toFixed(0)} MiB in ${restore.seconds.toFixed(2)} s`,
    );
    sizes.push({ label: size.label, bytes: ds.bytes, save, restore });
  }
  return { sizes };
}

function machine(tools: Tools, s3: S3Endpoint, loads: LoadSampler, codec: string): Machine {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    nproc: os.availableParallelism(),
    memoryGiB: os.totalmem() / GiB,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    codec,
    tools: { aws: tools.aws, zstd: tools.zstd, tar: tools.tar },
    s3:
      s3.source === 'lab'
        ? `Ceph RGW lab on loopback (scripts/s3-lab.sh), sharing the ${os.availableParallelism()} cores`
        : `${s3.endpoint} (from S3CACHE_TEST_ENDPOINT)`,
    load: loads.summary(),
  };
}

/** Runs the selected sections and returns everything measured. */
export async function runSuite(config: SuiteConfig): Promise<BenchResults> {
  const loads = new LoadSampler();
  loads.sample();
  const codec = benchCodec(config.codec);
  log(`s3cache runs on Node ${process.version} with the ${codec.name} zstd codec`);
  const want = (s: Section) => config.sections.has(s);
  const needS3 = want('transfer') || want('rss');
  const tools = want('transfer')
    ? await ensureTools(config.install)
    : { aws: undefined, zstd: undefined, tar: undefined, pipelineSkipped: 'transfer section not run' };
  // Enough RAM-backed capacity for one repetition's objects plus deleted ones awaiting GC.
  const largest = Math.max(
    ...config.datasets.map((d) => (d.kind === 'big' ? d.files * d.bytesPerFile : 512 * MiB)),
    ...config.rssSizes.map((r) => r.bytes),
  );
  // One repetition stores its data three times (s3cache, pipeline, raw upload).
  const memstoreBytes = Math.max(6 * GiB, 4 * largest);
  const s3 = config.s3 ?? (needS3 ? await connectS3(memstoreBytes) : undefined);
  const out = join(config.work, `out-${process.pid}`);
  const results: BenchResults = {
    quick: config.quick,
    reps: config.reps,
    machine: undefined as unknown as Machine,
    pipelineSkipped: tools.pipelineSkipped,
    transfer: [],
    rss: undefined,
    deltas: undefined,
    planner: undefined,
    goals: [],
  };
  let c: Ctx | undefined;
  try {
    if (s3) {
      c = { config, s3, bucket: await createBenchBucket(s3), tools, loads, codec, out, memstoreBytes };
      if (want('transfer')) {
        for (const spec of config.datasets) {
          log(`preparing dataset ${spec.label}`);
          const ds = await prepareDataset(join(config.work, 'data'), spec);
          results.transfer.push(await transferScenario(c, ds));
        }
      }
      if (want('rss')) results.rss = await rssScenario(c);
    }
    if (want('deltas')) {
      log('running packages/core/bench/deltas.ts');
      results.deltas = await runDeltas(config.quick);
    }
    if (want('planner')) {
      log(`running the janitor planner benchmark (${config.plannerObjects} objects)`);
      results.planner = await runPlanner(config.plannerObjects);
    }
  } finally {
    // Deleted only now: removing big trees makes the file system slow for a while (ext4 with
    // `discard` here), which would fall on whichever measurement comes next.
    await fs.rm(out, { recursive: true, force: true });
    if (!config.keep) await fs.rm(join(config.work, 'data'), { recursive: true, force: true });
    await c?.bucket
      .remove()
      .catch((err: unknown) => log(`could not remove bucket ${c?.bucket.name}: ${err}`));
    if (c && !config.s3) await c.s3.stop();
  }
  results.machine = machine(
    tools,
    s3 ?? ({ source: 'environment', endpoint: 'none' } as S3Endpoint),
    loads,
    codec.name,
  );
  results.goals = evaluateGoals(results.transfer, results.rss);
  return results;
}
