// Saves through a fault-injecting proxy in front of the real S3: whatever breaks, the bucket
// afterwards holds a complete entry (manifest, every pack, a restore that reproduces the source)
// or no entry at all; failures are typed S3CacheErrors; nothing hangs.
import * as fs from 'node:fs/promises';
import type { FaultRule } from '@s3cache/testkit';
import { s3TestsSkipped } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SaveOptions, saveCache } from '../../src/engine/save.js';
import { S3CacheError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import {
  auditEntry,
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

const MANIFEST_PUT = { method: 'PUT', path: /\/manifest\.json\?/ } as const;
const PACK_PUT = { method: 'PUT', path: /\.pack\?(x-id=PutObject|.*partNumber=)/ } as const;
const UPDATE_PUT = { method: 'PUT', path: /\/updates\/[^/?]+\.json\?/ } as const;
const COMPLETE_MULTIPART = { method: 'POST', path: /\.pack\?uploadId=/ } as const;
const LIST = { method: 'GET', path: /[?&]list-type=2/ } as const;

interface Scenario {
  name: string;
  rules: FaultRule[];
  /** `saved`: the save must succeed; `either`: success or a typed error, the bucket consistent. */
  expect: 'saved' | 'either' | 'failed';
  /** Upper bound on the save's wall time (ms), generous for a loaded 2-core machine. */
  withinMs: number;
  /** A tree large enough for multipart uploads (3 parts of 5 MiB). */
  large?: boolean;
}

const slowDown = (extra: Partial<FaultRule> = {}): FaultRule => ({
  fault: { kind: 'status', status: 503 },
  ...extra,
});

const scenarios: Scenario[] = [
  {
    name: '500 on the first pack PUT (SDK retry)',
    rules: [{ ...PACK_PUT, nth: 1, fault: { kind: 'status', status: 500 } }],
    expect: 'saved',
    withinMs: 30_000,
  },
  {
    name: '503 SlowDown on about half of all requests (seeded)',
    rules: [slowDown({ probability: 0.5 })],
    expect: 'either',
    withinMs: 60_000,
  },
  {
    name: '503 SlowDown on every manifest PUT',
    rules: [slowDown({ ...MANIFEST_PUT })],
    expect: 'failed',
    withinMs: 60_000,
  },
  {
    name: 'connection reset before the manifest PUT reaches S3',
    rules: [{ ...MANIFEST_PUT, nth: 1, fault: { kind: 'reset', at: 'request' } }],
    expect: 'saved',
    withinMs: 30_000,
  },
  {
    name: 'lost response: manifest written, connection reset before the answer',
    rules: [{ ...MANIFEST_PUT, nth: 1, fault: { kind: 'reset', at: 'headers' } }],
    expect: 'saved',
    withinMs: 30_000,
  },
  {
    name: '500 after the manifest was written (the retry meets our own object)',
    rules: [{ ...MANIFEST_PUT, nth: 1, fault: { kind: 'status', status: 500, after: true } }],
    expect: 'saved',
    withinMs: 30_000,
  },
  {
    name: '500 after the manifest was written, on every attempt',
    rules: [{ ...MANIFEST_PUT, fault: { kind: 'status', status: 500, after: true } }],
    expect: 'saved',
    withinMs: 60_000,
  },
  {
    name: 'pack PUT stalled beyond the idle timeout',
    rules: [{ ...PACK_PUT, nth: 1, fault: { kind: 'stall', ms: 20_000 } }],
    expect: 'saved',
    withinMs: 30_000,
  },
  {
    name: 'manifest written, answer stalled beyond the idle timeout',
    rules: [{ ...MANIFEST_PUT, nth: 1, fault: { kind: 'stall', ms: 20_000, phase: 'response' } }],
    expect: 'saved',
    withinMs: 30_000,
  },
  {
    name: 'every request stalled: bounded by idle timeout x attempts',
    rules: [{ fault: { kind: 'stall', ms: 60_000 } }],
    expect: 'failed',
    withinMs: 45_000,
  },
  {
    name: 'listing reset mid-body',
    rules: [{ ...LIST, nth: 1, fault: { kind: 'reset' } }],
    expect: 'either',
    withinMs: 30_000,
  },
  {
    name: 'listing truncated',
    rules: [{ ...LIST, nth: 1, fault: { kind: 'truncate' } }],
    expect: 'either',
    withinMs: 30_000,
  },
  {
    name: 'listing bytes flipped',
    rules: [{ ...LIST, fault: { kind: 'corrupt', flips: 4 } }],
    expect: 'either',
    withinMs: 30_000,
  },
  {
    name: 'multipart: an UploadPart reset mid-way and one answered 503',
    rules: [
      { method: 'PUT', path: /partNumber=2/, nth: 1, fault: { kind: 'reset', at: 'request' } },
      { method: 'PUT', path: /partNumber=3/, nth: 1, fault: { kind: 'status', status: 503 } },
    ],
    expect: 'saved',
    withinMs: 60_000,
    large: true,
  },
  {
    name: 'multipart: CompleteMultipartUpload answered 500 once',
    rules: [{ ...COMPLETE_MULTIPART, nth: 1, fault: { kind: 'status', status: 500 } }],
    expect: 'saved',
    withinMs: 60_000,
    large: true,
  },
  {
    name: 'multipart: CompleteMultipartUpload done, its answer lost',
    rules: [{ ...COMPLETE_MULTIPART, nth: 1, fault: { kind: 'reset', at: 'headers' } }],
    expect: 'either',
    withinMs: 60_000,
    large: true,
  },
  {
    name: 'multipart: every UploadPart fails',
    rules: [{ method: 'PUT', path: /partNumber=/, fault: { kind: 'status', status: 500 } }],
    expect: 'failed',
    withinMs: 60_000,
    large: true,
  },
];

describe.skipIf(s3TestsSkipped())('saves under injected faults (real S3 behind a fault proxy)', () => {
  let lab: FaultLab;
  let small: string;
  let large: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    lab = await startFaultLab();
    small = await makeTree(await tempDir('save-src'), 11, 10, 96 * 1024);
    large = await makeTree(await tempDir('save-large'), 12, 6, 4 * 1024 * 1024);
    dirs.push(small, large);
  });
  afterAll(async () => {
    await lab?.close();
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  const save = (store: Store, key: string, workspace: string, extra: Partial<SaveOptions> = {}) =>
    saveCache(lab.ctx(store), {
      repository: REPOSITORY,
      scope: MAIN,
      version: VERSION,
      key,
      paths: ['cache'],
      workspace,
      partSize: 5 * 1024 * 1024,
      ...extra,
    });

  it.each(scenarios.map((s, i) => [s.name, s, i] as const))('%s', async (_name, scenario, index) => {
    const key = `save-fault-${index}`;
    const source = scenario.large ? large : small;
    lab.proxy.setPlan({ rules: scenario.rules, seed: 1000 + index });
    const outcome = await settle(() => save(lab.faulty(QUICK), key, source));
    const injected = lab.proxy.injections();
    lab.proxy.setPlan({ rules: [] });

    expect(outcome.ms, 'the save ends within its bound').toBeLessThan(scenario.withinMs);
    expect(injected, 'the fault was injected').toBeGreaterThan(0);
    if (!outcome.ok) {
      expect(outcome.error, String(outcome.error)).toBeInstanceOf(S3CacheError);
      expect((outcome.error as Error).message).not.toContain('\n');
    }
    if (scenario.expect === 'saved') {
      expect(outcome.ok && outcome.value.outcome, outcome.ok ? '' : String(outcome.error)).toBe('saved');
    }
    if (scenario.expect === 'failed') expect(outcome.ok, 'the save reports the failure').toBe(false);

    const state = await auditEntry(lab, { scope: MAIN, key }, source);
    report(scenario.name, outcome, injected, state.state);
    if (outcome.ok) expect(state.state, 'a successful save left a complete entry').toBe('complete');
    else expect(state.state, 'a failed save left no entry').toBe('none');
  });

  // When the manifest PUT fails ambiguously (S3 wrote it, every answer was lost) and the read-back
  // that would settle it fails too, the save must keep its pack: the manifest may name it.
  it('ambiguous manifest PUT whose read-back fails too: the entry is complete or absent', async () => {
    const key = 'save-fault-ambiguous';
    lab.proxy.setPlan({
      rules: [
        { ...MANIFEST_PUT, fault: { kind: 'status', status: 500, after: true } },
        {
          method: 'GET',
          path: /^\/[^?]*\/manifest\.json(\?x-id=GetObject)?$/,
          fault: { kind: 'status', status: 503 },
        },
      ],
    });
    const outcome = await settle(() => save(lab.faulty(QUICK), key, small));
    lab.proxy.setPlan({ rules: [] });
    expect(outcome.ok).toBe(false);
    expect(outcome.ms).toBeLessThan(60_000);
    expect(['none', 'complete']).toContain((await auditEntry(lab, { scope: MAIN, key }, small)).state);
  });

  it('a delta save whose update PUT loses its answer still commits exactly one generation', async () => {
    const key = 'save-fault-delta';
    const workspace = await tempDir('save-delta');
    dirs.push(workspace);
    await fs.cp(small, workspace, { recursive: true, verbatimSymlinks: true });
    expect((await save(lab.direct, key, workspace)).outcome).toBe('saved');
    await fs.writeFile(`${workspace}/cache/sub/f0.bin`, 'changed for the delta\n'.repeat(5000));
    lab.proxy.setPlan({ rules: [{ ...UPDATE_PUT, nth: 1, fault: { kind: 'reset', at: 'headers' } }] });
    const outcome = await settle(() => save(lab.faulty(QUICK), key, workspace));
    expect(lab.proxy.injections()).toBe(1);
    lab.proxy.setPlan({ rules: [] });
    expect(outcome.ok && outcome.value.outcome, outcome.ok ? '' : String(outcome.error)).toBe('delta');
    expect(outcome.ms).toBeLessThan(30_000);
    // The newest generation restores the changed tree, whole.
    expect((await auditEntry(lab, { scope: MAIN, key }, workspace)).state).toBe('complete');
  });
});
