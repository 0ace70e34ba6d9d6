// Restores through a fault-injecting proxy in front of the real S3: each ends as a hit whose
// files equal the source tree byte for byte, or as a miss / typed S3CacheError with no wrong
// byte on disk; and within a bounded time, whatever the fault.
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { type FaultRule, s3TestsSkipped } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/engine/context.js';
import { restoreCache } from '../../src/engine/restore.js';
import { saveCache } from '../../src/engine/save.js';
import { S3CacheError } from '../../src/errors.js';
import {
  digest,
  expectNoWrongBytes,
  type FaultLab,
  MAIN,
  makeTree,
  QUICK,
  REPOSITORY,
  report,
  settle,
  startFaultLab,
  tempDir,
  VERSION,
} from './support.js';

const PACK_GET = { method: 'GET', path: /\.pack(\?x-id=GetObject)?$/ } as const;
const MANIFEST_GET = { method: 'GET', path: /^\/[^?]*\/manifest\.json(\?x-id=GetObject)?$/ } as const;
const UPDATE_GET = { method: 'GET', path: /^\/[^?]*\/updates\/[^?]*\.json(\?x-id=GetObject)?$/ } as const;
const LIST = { method: 'GET', path: /[?&]list-type=2/ } as const;
const MARKER_PUT = { method: 'PUT', path: /\/access\// } as const;

type Expectation =
  /** Must restore, byte-identical. */
  | 'hit'
  /** A hit (byte-identical) or a miss / typed error. */
  | 'either'
  /** Must end as a typed error of this class name (or a miss when 'miss'). */
  | { error: string }
  | 'miss';

interface Scenario {
  name: string;
  rules: FaultRule[];
  expect: Expectation;
  withinMs: number;
  /** Which entry: the plain one (one pack) or the one with a delta generation (two packs, several ranges). */
  entry?: 'base' | 'delta';
  timeoutMs?: number;
  /** A warning the restore must log. */
  warns?: RegExp;
}

const scenarios: Scenario[] = [
  {
    name: 'pack GET answered 500 once',
    rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'status', status: 500 } }],
    expect: 'hit',
    withinMs: 30_000,
  },
  {
    name: '503 SlowDown on about a third of all requests (seeded)',
    rules: [{ probability: 0.33, fault: { kind: 'status', status: 503 } }],
    expect: 'either',
    withinMs: 60_000,
    entry: 'delta',
  },
  {
    name: 'pack GETs reset mid-body (1st and 2nd)',
    rules: [{ ...PACK_GET, nth: [1, 2], fault: { kind: 'reset' } }],
    expect: 'hit',
    withinMs: 30_000,
    entry: 'delta',
  },
  {
    name: 'pack GET truncated (Content-Length larger than the body)',
    rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'truncate' } }],
    expect: 'hit',
    withinMs: 30_000,
  },
  {
    name: 'pack GET stalled before the request beyond the idle timeout',
    rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'stall', ms: 20_000 } }],
    expect: 'hit',
    withinMs: 30_000,
  },
  {
    name: 'pack GET stalled before the response beyond the idle timeout',
    rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'stall', ms: 20_000, phase: 'response' } }],
    expect: 'hit',
    withinMs: 30_000,
  },
  {
    name: 'pack GET stalled mid-body beyond the idle timeout',
    rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'stall', ms: 20_000, phase: 'body' } }],
    expect: 'hit',
    withinMs: 30_000,
  },
  {
    name: 'every pack GET stalled: the download deadline ends it',
    rules: [{ ...PACK_GET, fault: { kind: 'stall', ms: 60_000, phase: 'body' } }],
    expect: { error: 'TimeoutError' },
    withinMs: 30_000,
    timeoutMs: 5_000,
  },
  {
    name: 'every listing stalled: bounded by idle timeout x attempts',
    rules: [{ ...LIST, fault: { kind: 'stall', ms: 60_000 } }],
    expect: { error: 'StoreError' },
    withinMs: 45_000,
  },
  {
    name: 'pack bytes flipped once',
    rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'corrupt', flips: 1 } }],
    expect: 'either',
    withinMs: 30_000,
  },
  {
    name: 'pack bytes flipped on every GET',
    rules: [{ ...PACK_GET, fault: { kind: 'corrupt', flips: 3 } }],
    expect: { error: 'IntegrityError' },
    withinMs: 30_000,
    entry: 'delta',
  },
  {
    name: 'manifest bytes flipped',
    rules: [{ ...MANIFEST_GET, fault: { kind: 'corrupt', flips: 2 } }],
    expect: 'either',
    withinMs: 30_000,
  },
  {
    name: 'update manifest bytes flipped (falls back to an older complete generation or fails)',
    rules: [{ ...UPDATE_GET, fault: { kind: 'corrupt', flips: 2 } }],
    expect: 'either',
    withinMs: 30_000,
    entry: 'delta',
  },
  {
    name: 'listing bytes flipped',
    rules: [{ ...LIST, fault: { kind: 'corrupt', flips: 3 } }],
    expect: 'either',
    withinMs: 30_000,
  },
  {
    name: 'pack deleted between listing and GET (404 NoSuchKey)',
    rules: [{ ...PACK_GET, fault: { kind: 'status', status: 404 } }],
    expect: { error: 'ObjectMissingError' },
    withinMs: 30_000,
  },
  {
    name: 'every connection reset before reaching S3',
    rules: [{ fault: { kind: 'reset', at: 'request' } }],
    expect: { error: 'StoreError' },
    withinMs: 45_000,
  },
  {
    name: 'access-marker PUT denied (a read-only role): still a hit, with a warning',
    rules: [{ ...MARKER_PUT, fault: { kind: 'status', status: 403 } }],
    expect: 'hit',
    withinMs: 30_000,
    warns: /Could not record the cache access/,
  },
];

describe.skipIf(s3TestsSkipped())('restores under injected faults (real S3 behind a fault proxy)', () => {
  let lab: FaultLab;
  let v1: string;
  let v2: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    lab = await startFaultLab();
    v1 = await makeTree(await tempDir('restore-v1'), 21, 12, 1024 * 1024);
    v2 = await tempDir('restore-v2');
    dirs.push(v1, v2);
    await fs.cp(v1, v2, { recursive: true, verbatimSymlinks: true });
    await fs.writeFile(join(v2, 'cache/sub/f0.bin'), 'changed\n'.repeat(100_000));
    await fs.writeFile(join(v2, 'cache/f5.bin'), 'also changed\n'.repeat(50_000));
    const save = (key: string, workspace: string) =>
      saveCache(lab.ctx(lab.direct), {
        repository: REPOSITORY,
        scope: MAIN,
        version: VERSION,
        key,
        paths: ['cache'],
        workspace,
        // Small chunks: many of them, so a delta interleaves base and delta packs (many ranges).
        chunking: { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 },
      });
    expect((await save('base', v1)).outcome).toBe('saved');
    expect((await save('delta', v1)).outcome).toBe('saved');
    expect((await save('delta', v2)).outcome).toBe('delta');
  });
  afterAll(async () => {
    await lab?.close();
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it.each(scenarios.map((s, i) => [s.name, s, i] as const))('%s', async (_name, scenario, index) => {
    const entry = scenario.entry ?? 'base';
    const target = await tempDir('restore-target');
    dirs.push(target);
    const warnings: string[] = [];
    const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
    lab.proxy.setPlan({ rules: scenario.rules, seed: 2000 + index });
    const outcome = await settle(() =>
      restoreCache(
        { ...lab.ctx(lab.faulty(QUICK)), log },
        {
          repository: REPOSITORY,
          scopes: [MAIN],
          version: VERSION,
          primaryKey: entry,
          restoreKeys: [],
          paths: ['cache'],
          workspace: target,
          timeoutMs: scenario.timeoutMs ?? 20_000,
        },
      ),
    );
    const injected = lab.proxy.injections();
    lab.proxy.setPlan({ rules: [] });
    report(scenario.name, outcome, injected, '');

    expect(outcome.ms, 'the restore ends within its bound').toBeLessThan(scenario.withinMs);
    expect(injected, 'the fault was injected').toBeGreaterThan(0);
    // What may be on disk: the newest generation, or (when it cannot be read) the older one.
    const sources = entry === 'delta' ? [v2, v1] : [v1];
    const hit = outcome.ok && outcome.value.matchedKey !== undefined;
    if (hit) {
      expect(outcome.value.cacheHit).toBe(true);
      const got = await digest(join(target, 'cache'));
      const matches = await Promise.all(
        sources.map(async (s) => JSON.stringify(await digest(join(s, 'cache')))),
      );
      expect(matches, 'a hit restores one generation exactly').toContain(JSON.stringify(got));
    } else {
      await expectNoWrongBytes(join(target, 'cache'), ...sources.map((s) => join(s, 'cache')));
    }
    if (!outcome.ok) {
      expect(outcome.error, String(outcome.error)).toBeInstanceOf(S3CacheError);
      expect((outcome.error as Error).message).not.toContain('\n');
    }
    const want = scenario.expect;
    if (want === 'hit') expect(hit, outcome.ok ? 'miss' : String(outcome.error)).toBe(true);
    else if (want === 'miss') expect(outcome.ok && !hit).toBe(true);
    else if (typeof want === 'object') {
      expect(outcome.ok, 'the restore fails').toBe(false);
      if (!outcome.ok) expect((outcome.error as Error).name, String(outcome.error)).toBe(want.error);
    }
    if (scenario.warns) expect(warnings.join('\n')).toMatch(scenario.warns);
  });
});
