import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3TestConfig, s3TestsSkipped } from '@s3cache/testkit';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { parsePlannerOutput } from './external.js';
import { parseEnvFile, type S3Endpoint } from './lab.js';
import { derive, evaluateGoals, renderMarkdown, type Stat, stat, type TransferResult } from './report.js';
import { defaultConfig, runSuite } from './suite.js';
import { median, ratio } from './util.js';

const seconds = (...runs: number[]): Stat => stat(runs.map((s) => ({ seconds: s, cpuSeconds: s / 2 })));

const transfer: TransferResult = {
  dataset: { name: 'big', label: '1 GiB file', files: 1, bytes: 1e9 },
  s3cache: { save: seconds(5, 4, 6), restore: seconds(2, 2.5, 3), storedBytes: 1e9, chunks: 30_000 },
  pipeline: { save: seconds(6, 6, 7), restore: seconds(4, 4, 5), storedBytes: 1e9 },
  ceiling: {
    localCompress: seconds(2),
    localExtract: seconds(2),
    rawGet: seconds(1.5),
    rawUpload: seconds(4),
    rawGetSettings: '8 × 8 MiB ranges in flight',
  },
};

describe('benchmark arithmetic and report (pure)', () => {
  it('takes medians and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(undefined, 3)).toBeUndefined();
    expect(ratio(Number.NaN, 3)).toBeUndefined();
  });

  it('derives speed-ups against the pipeline and the ceiling', () => {
    const d = derive(transfer);
    expect(d.saveSpeedup).toBeCloseTo(6 / 5);
    expect(d.restoreSpeedup).toBeCloseTo(4 / 2.5);
    expect(d.restoreCeilingS).toBe(2); // max(local extract 2, raw GET 1.5)
    expect(d.restoreVsCeiling).toBeCloseTo(1.25);
    expect(d.saveCeilingS).toBe(4);
    expect(d.restoreMBps).toBeCloseTo(400);
  });

  it('judges the goals and renders them', () => {
    const rss = {
      sizes: [
        {
          label: '0.5 GiB',
          bytes: 2 ** 29,
          save: { seconds: 1, cpuSeconds: 1, maxRssBytes: 200e6 },
          restore: { seconds: 1, cpuSeconds: 1, maxRssBytes: 200e6 },
        },
        {
          label: '2 GiB',
          bytes: 2 ** 31,
          save: { seconds: 4, cpuSeconds: 4, maxRssBytes: 210e6 },
          restore: { seconds: 4, cpuSeconds: 4, maxRssBytes: 400e6 },
        },
      ],
    };
    const goals = evaluateGoals([transfer], rss);
    const met = Object.fromEntries(goals.map((g) => [g.goal, g.met]));
    expect(met).toEqual({
      'restore faster than the pipeline': true,
      'restore close to the ceiling': true,
      'save faster than the pipeline': true,
      'save peak RSS flat': true,
      'restore peak RSS flat': false,
    });
    // What a run exactly at the ceiling would achieve against the pipeline: pipeline ÷ ceiling.
    const allows = Object.fromEntries(goals.map((g) => [g.goal, g.ceilingAllows]));
    expect(allows['restore faster than the pipeline']).toBeCloseTo(4 / 2);
    expect(allows['save faster than the pipeline']).toBeCloseTo(6 / 4);
    expect(allows['restore close to the ceiling']).toBeUndefined();
    const markdown = renderMarkdown({
      quick: false,
      reps: 3,
      machine: {
        date: '2026-01-01T00:00:00Z',
        cpu: 'Test CPU',
        nproc: 2,
        memoryGiB: 8,
        node: 'v20.0.0',
        platform: 'linux',
        codec: 'native',
        tools: {},
        s3: 'test',
        load: { min: 1, median: 2, max: 3, samples: 10 },
      },
      pipelineSkipped: undefined,
      transfer: [transfer],
      rss,
      deltas: undefined,
      planner: parsePlannerOutput(
        '  createPlan               0.20 s wall, 0.23 s CPU\n  peak RSS                 160 MB\n',
        1000,
      ),
      goals,
    });
    expect(markdown).toContain(
      '| 1 GiB file | 954 MiB | 1 | 5.00 s (200 MB/s) | 6.00 s (167 MB/s) | 1.20× |',
    );
    expect(markdown).toContain('| restore peak RSS flat | 2 GiB vs 0.5 GiB | 2.00× | ≤ 1.25× |  | **no** |');
    expect(markdown).toContain(
      '| restore faster than the pipeline | 1 GiB file | 1.60× | ≥ 1.5× | 2.00× | yes |',
    );
    expect(markdown).toContain('Machine: Test CPU, 2 cores, 8 GiB RAM');
    expect(markdown).toContain('| createPlan | 0.20 |');
  });

  it('reads the planner benchmark, the lab env file and the arguments', () => {
    const planner = parsePlannerOutput(
      [
        'Planner benchmark',
        '  generate + inventory     1.03 s wall, 1.04 s CPU',
        '  peak RSS                 160 MB',
        '  peak heap used           84 MB',
      ].join('\n'),
      100_000,
    );
    expect(planner).toMatchObject({
      phases: { 'generate + inventory': 1.03 },
      peakRssMiB: 160,
      peakHeapMiB: 84,
    });
    expect(parseEnvFile("export S3CACHE_TEST_ENDPOINT='http://127.0.0.1:1'\nexport X='a'\\''b'\n")).toEqual({
      S3CACHE_TEST_ENDPOINT: 'http://127.0.0.1:1',
      X: "a'b",
    });
    const config = parseConfig([
      '--quick',
      '--only',
      'transfer,rss',
      '--datasets',
      'big',
      '--reps',
      '2',
      '--no-install',
    ]);
    expect(config).toMatchObject({ quick: true, reps: 2, install: false });
    expect([...config.sections]).toEqual(['transfer', 'rss']);
    expect(config.datasets.map((d) => d.name)).toEqual(['big']);
    expect(() => parseConfig(['--only', 'nope'])).toThrow(/unknown section/);
  });
});

describe.skipIf(s3TestsSkipped())('the suite end to end, tiny sizes (not timed)', () => {
  it('saves and restores with s3cache and the pipeline, measures the ceiling, RSS and the planner', async () => {
    const config = s3TestConfig();
    const s3: S3Endpoint = {
      endpoint: config.endpoint,
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      region: config.region,
      source: 'environment',
      stop: async () => {},
    };
    const work = await mkdtemp(join(tmpdir(), 's3cache-bench-test-'));
    try {
      const results = await runSuite({
        ...defaultConfig(true),
        reps: 1,
        sections: new Set(['transfer', 'rss', 'planner']),
        datasets: [
          { kind: 'big', name: 'big', label: 'file', files: 1, bytesPerFile: 3 * 1024 * 1024 },
          { kind: 'small', name: 'small', label: 'small files', files: 300, medianBytes: 1024 },
          { kind: 'compiler', name: 'compiler', label: 'compiler cache', files: 40 },
        ],
        rssSizes: [
          { label: 'small', bytes: 2 * 1024 * 1024 },
          { label: 'large', bytes: 4 * 1024 * 1024 },
        ],
        plannerObjects: 2_000,
        install: false,
        work,
        keep: false,
        verify: true, // restored trees are compared with the source
        s3,
      });
      expect(results.transfer.map((t) => t.dataset.files)).toEqual([1, 300, expect.any(Number)]);
      for (const t of results.transfer) {
        expect(t.s3cache.save.median).toBeGreaterThan(0);
        expect(t.s3cache.restore.median).toBeGreaterThan(0);
        expect(t.ceiling.rawGet.median).toBeGreaterThan(0);
        if (!results.pipelineSkipped) expect(t.pipeline?.restore.median).toBeGreaterThan(0);
      }
      expect(results.rss?.sizes.map((z) => z.restore.maxRssBytes > 0)).toEqual([true, true]);
      expect(results.planner?.phases.createPlan).toBeGreaterThanOrEqual(0);
      expect(renderMarkdown(results)).toContain('### Goals');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
