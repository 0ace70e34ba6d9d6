import type { ChildResult } from './child.js';
import type { DeltaResults, PlannerResults } from './external.js';
import { mbps, median, ratio } from './util.js';

/** Wall and CPU seconds of every repetition of one measurement, and their medians. */
export interface Stat {
  runs: number[];
  cpuRuns: number[];
  median: number;
  cpuMedian: number;
}

export function stat(runs: { seconds: number; cpuSeconds: number }[]): Stat {
  const wall = runs.map((r) => r.seconds);
  const cpu = runs.map((r) => r.cpuSeconds);
  return { runs: wall, cpuRuns: cpu, median: median(wall), cpuMedian: median(cpu) };
}

export interface Machine {
  date: string;
  cpu: string;
  nproc: number;
  memoryGiB: number;
  node: string;
  platform: string;
  codec: string;
  tools: { aws?: string | undefined; zstd?: string | undefined; tar?: string | undefined };
  s3: string;
  /** 1-minute load average sampled before every measurement. */
  load: { min: number; median: number; max: number; samples: number };
}

export interface TransferResult {
  dataset: { name: string; label: string; files: number; bytes: number };
  s3cache: { save: Stat; restore: Stat; storedBytes: number; chunks: number | undefined };
  pipeline: { save: Stat; restore: Stat; storedBytes: number } | undefined;
  ceiling: {
    /** tar | zstd -T0 -3 to local disk. */
    localCompress: Stat;
    /** zstd -d | tar -x from local disk. */
    localExtract: Stat;
    /** Parallel ranged GETs of s3cache's pack, bytes dropped. */
    rawGet: Stat;
    /** Multipart upload of the local .tar.zst through s3cache's store. */
    rawUpload: Stat;
    rawGetSettings: string;
  };
}

export interface RssResult {
  sizes: { label: string; bytes: number; save: ChildResult; restore: ChildResult }[];
}

export interface BenchResults {
  quick: boolean;
  reps: number;
  machine: Machine;
  pipelineSkipped: string | undefined;
  transfer: TransferResult[];
  rss: RssResult | undefined;
  deltas: DeltaResults | undefined;
  planner: PlannerResults | undefined;
  goals: Goal[];
}

export interface Derived {
  saveMBps: number;
  restoreMBps: number;
  pipelineSaveMBps: number | undefined;
  pipelineRestoreMBps: number | undefined;
  /** Pipeline time ÷ s3cache time: > 1 means s3cache is faster. */
  saveSpeedup: number | undefined;
  restoreSpeedup: number | undefined;
  /** max(local zstd -d | tar -x, raw ranged GET): neither can be beaten by a restore. */
  restoreCeilingS: number;
  /** s3cache restore time ÷ the ceiling: 1 is the ceiling itself. */
  restoreVsCeiling: number | undefined;
  /** max(local tar | zstd, raw multipart upload). */
  saveCeilingS: number;
  saveVsCeiling: number | undefined;
  /** Speed-ups over the pipeline of a run exactly at the ceiling: pipeline time ÷ ceiling. */
  restoreCeilingAllows: number | undefined;
  saveCeilingAllows: number | undefined;
}

export function derive(t: TransferResult): Derived {
  const restoreCeilingS = Math.max(t.ceiling.localExtract.median, t.ceiling.rawGet.median);
  const saveCeilingS = Math.max(t.ceiling.localCompress.median, t.ceiling.rawUpload.median);
  return {
    saveMBps: mbps(t.dataset.bytes, t.s3cache.save.median),
    restoreMBps: mbps(t.dataset.bytes, t.s3cache.restore.median),
    pipelineSaveMBps: t.pipeline ? mbps(t.dataset.bytes, t.pipeline.save.median) : undefined,
    pipelineRestoreMBps: t.pipeline ? mbps(t.dataset.bytes, t.pipeline.restore.median) : undefined,
    saveSpeedup: ratio(t.pipeline?.save.median, t.s3cache.save.median),
    restoreSpeedup: ratio(t.pipeline?.restore.median, t.s3cache.restore.median),
    restoreCeilingS,
    restoreVsCeiling: ratio(t.s3cache.restore.median, restoreCeilingS),
    saveCeilingS,
    saveVsCeiling: ratio(t.s3cache.save.median, saveCeilingS),
    restoreCeilingAllows: ratio(t.pipeline?.restore.median, restoreCeilingS),
    saveCeilingAllows: ratio(t.pipeline?.save.median, saveCeilingS),
  };
}

export interface Goal {
  goal: string;
  scope: string;
  measured: number | undefined;
  target: string;
  met: boolean | undefined;
  /**
   * Speed goals against the pipeline: the speed-up a run exactly at this machine's ceiling would
   * have. Below the target, no implementation can meet the goal here.
   */
  ceilingAllows?: number | undefined;
}

/** RSS is "flat" when the 2 GiB run peaks at most this much above the 0.5 GiB run. */
export const RSS_FLAT_FACTOR = 1.25;

export function evaluateGoals(transfer: TransferResult[], rss: RssResult | undefined): Goal[] {
  const goals: Goal[] = [];
  for (const t of transfer) {
    const d = derive(t);
    const check = (
      goal: string,
      measured: number | undefined,
      target: string,
      ok: (v: number) => boolean,
      ceilingAllows?: number | undefined,
    ) =>
      goals.push({
        goal,
        scope: t.dataset.label,
        measured,
        target,
        met: measured === undefined ? undefined : ok(measured),
        ...(ceilingAllows !== undefined ? { ceilingAllows } : {}),
      });
    check(
      'restore faster than the pipeline',
      d.restoreSpeedup,
      '≥ 1.5×',
      (v) => v >= 1.5,
      d.restoreCeilingAllows,
    );
    check('restore close to the ceiling', d.restoreVsCeiling, '≤ 1.3× ceiling', (v) => v <= 1.3);
    check('save faster than the pipeline', d.saveSpeedup, '≥ 1.2×', (v) => v >= 1.2, d.saveCeilingAllows);
  }
  if (rss && rss.sizes.length >= 2) {
    const small = rss.sizes[0];
    const large = rss.sizes[rss.sizes.length - 1];
    if (small && large) {
      for (const op of ['save', 'restore'] as const) {
        const growth = ratio(large[op].maxRssBytes, small[op].maxRssBytes);
        goals.push({
          goal: `${op} peak RSS flat`,
          scope: `${large.label} vs ${small.label}`,
          measured: growth,
          target: `≤ ${RSS_FLAT_FACTOR}×`,
          met: growth === undefined ? undefined : growth <= RSS_FLAT_FACTOR,
        });
      }
    }
  }
  return goals;
}

const f = (n: number | undefined, digits = 1): string =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
const x = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(2)}×`);
const s = (st: Stat | undefined): string => (st ? `${st.median.toFixed(2)} s` : '–');
const mib = (bytes: number): string =>
  bytes >= 2 ** 30 ? `${f(bytes / 2 ** 30, 2)} GiB` : `${f(bytes / 2 ** 20, 0)} MiB`;

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** The report: what `pnpm bench` prints and writes to bench-results/bench.md. Pure. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`## s3cache benchmark${r.quick ? ' (--quick: small sizes, not representative)' : ''}`);
  out.push('');
  out.push(
    `Machine: ${m.cpu}, ${m.nproc} cores, ${f(m.memoryGiB, 0)} GiB RAM, ${m.platform}, Node ${m.node}, zstd codec ${m.codec}. ` +
      `S3: ${m.s3}. 1-minute load average over the run: min ${f(m.load.min, 2)}, median ${f(m.load.median, 2)}, ` +
      `max ${f(m.load.max, 2)} (${m.load.samples} samples). Times are medians of ${r.reps} run${r.reps === 1 ? '' : 's'}; ` +
      'MB/s = 10^6 bytes of file content per second.',
  );
  out.push('');
  if (r.pipelineSkipped) out.push(`**Pipeline baseline skipped:** ${r.pipelineSkipped}`, '');

  if (r.transfer.length > 0) {
    out.push('### s3cache against `tar | zstd -T0 -3 | aws s3 cp` (and back)', '');
    out.push(
      table(
        [
          'dataset',
          'size',
          'files',
          's3cache save',
          'pipeline save',
          'save speed-up',
          's3cache restore',
          'pipeline restore',
          'restore speed-up',
        ],
        r.transfer.map((t) => {
          const d = derive(t);
          return [
            t.dataset.label,
            mib(t.dataset.bytes),
            String(t.dataset.files),
            `${s(t.s3cache.save)} (${f(d.saveMBps, 0)} MB/s)`,
            t.pipeline ? `${s(t.pipeline.save)} (${f(d.pipelineSaveMBps, 0)} MB/s)` : '–',
            x(d.saveSpeedup),
            `${s(t.s3cache.restore)} (${f(d.restoreMBps, 0)} MB/s)`,
            t.pipeline ? `${s(t.pipeline.restore)} (${f(d.pipelineRestoreMBps, 0)} MB/s)` : '–',
            x(d.restoreSpeedup),
          ];
        }),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push('### The ceiling on this machine', '');
    out.push(
      table(
        [
          'dataset',
          'local tar+zstd',
          'raw upload',
          's3cache save ÷ max',
          'local unzstd+untar',
          'raw ranged GET',
          's3cache restore ÷ max',
        ],
        r.transfer.map((t) => {
          const d = derive(t);
          return [
            t.dataset.label,
            s(t.ceiling.localCompress),
            s(t.ceiling.rawUpload),
            x(d.saveVsCeiling),
            s(t.ceiling.localExtract),
            s(t.ceiling.rawGet),
            x(d.restoreVsCeiling),
          ];
        }),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push(
      `Raw ranged GET: ${r.transfer[0]?.ceiling.rawGetSettings ?? ''}, bytes dropped. Raw upload: the local .tar.zst ` +
        "through s3cache's store (multipart). A restore cannot beat max(local unzstd+untar, raw GET), a save " +
        'max(local tar+zstd, raw upload).',
    );
    out.push('');
    out.push('Client CPU seconds (user + system; the S3 server not included), medians:', '');
    out.push(
      table(
        ['dataset', 's3cache save', 'pipeline save', 's3cache restore', 'pipeline restore'],
        r.transfer.map((t) => [
          t.dataset.label,
          f(t.s3cache.save.cpuMedian, 2),
          f(t.pipeline?.save.cpuMedian, 2),
          f(t.s3cache.restore.cpuMedian, 2),
          f(t.pipeline?.restore.cpuMedian, 2),
        ]),
        ['l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    out.push(
      `Stored: ${r.transfer
        .map(
          (t) =>
            `${t.dataset.label} s3cache ${mib(t.s3cache.storedBytes)} in ${t.s3cache.chunks ?? '?'} chunks` +
            (t.pipeline ? `, pipeline ${mib(t.pipeline.storedBytes)}` : ''),
        )
        .join('; ')}.`,
    );
    out.push('');
  }

  if (r.rss) {
    out.push('### Peak RSS (each operation in its own process)', '');
    out.push(
      table(
        ['cache', 'save RSS', 'save time', 'restore RSS', 'restore time'],
        r.rss.sizes.map((z) => [
          `${z.label} (${mib(z.bytes)})`,
          mib(z.save.maxRssBytes),
          `${z.save.seconds.toFixed(2)} s (${f(mbps(z.bytes, z.save.seconds), 0)} MB/s)`,
          mib(z.restore.maxRssBytes),
          `${z.restore.seconds.toFixed(2)} s (${f(mbps(z.bytes, z.restore.seconds), 0)} MB/s)`,
        ]),
        ['l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }

  if (r.goals.length > 0) {
    out.push('### Goals', '');
    out.push(
      table(
        ['goal', 'for', 'measured', 'target', 'the ceiling allows', 'met'],
        r.goals.map((g) => [
          g.goal,
          g.scope,
          g.measured === undefined ? '–' : `${g.measured.toFixed(2)}×`,
          g.target,
          g.ceilingAllows === undefined ? '' : `${g.ceilingAllows.toFixed(2)}×`,
          g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**',
        ]),
        ['l', 'l', 'r', 'l', 'r', 'l'],
      ),
    );
    out.push(
      '',
      '"The ceiling allows": the speed-up over the pipeline of a run exactly at the ceiling above (pipeline time ÷ ceiling). Where it is below the target, no implementation meets that goal on this machine.',
      '',
    );
  }

  if (r.deltas) {
    out.push(
      `### Delta savings (packages/core/bench/deltas.ts, directory store, codec ${r.deltas.codec})`,
      '',
    );
    out.push(
      table(
        [
          'tree',
          'chunking',
          'raw MiB',
          'base MiB',
          'chunks',
          'changed files',
          'changed, compressed KiB',
          'delta KiB',
          'delta ÷ changed',
          'chunk+hash MB/s',
        ],
        r.deltas.rows.map((d) => [
          d.tree,
          d.chunking,
          f(d.rawMiB),
          f(d.baseMiB),
          String(d.chunks),
          String(d.changedFiles),
          f(d.changedCompressedKiB, 0),
          f(d.deltaKiB, 0),
          f(d.ratio, 2),
          f(d.chunkMBps, 0),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }

  if (r.planner) {
    const p = r.planner;
    out.push(`### Janitor planner at scale (${p.objects.toLocaleString('en')} objects)`, '');
    out.push(
      table(
        ['phase', 'wall s'],
        Object.entries(p.phases).map(([phase, seconds]) => [phase, seconds.toFixed(2)]),
        ['l', 'r'],
      ),
    );
    out.push('');
    out.push(`Peak RSS ${p.peakRssMiB ?? '?'} MB, peak heap ${p.peakHeapMiB ?? '?'} MB.`);
    out.push('');
  }
  return out.join('\n');
}
