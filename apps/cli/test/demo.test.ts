import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type StoreTarget, storeTargets, tempDir } from './harness.js';

interface DemoJson {
  ok: boolean;
  repository: string;
  kept: boolean;
  tree: { files: number; bytes: number; symlinks: number; emptyDirs: number };
  phases: { name: string; seconds: number }[];
  saves: {
    full: { outcome: string; uploadedBytes: number };
    delta: { outcome: string; uploadedBytes: number; entryBytes: number };
  };
  deltaSavings: number;
  restore: { cacheHit: boolean; deltaBytes: number };
  verify: { differences: unknown[]; symlinks: number; files: number };
}

describe.each(storeTargets)('demo: $name', (target: StoreTarget) => {
  let store: Awaited<ReturnType<StoreTarget['setup']>>;
  let temp: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    if (target.skip) return;
    store = await target.setup();
    temp = await tempDir('s3cache-demo-test-');
  });
  afterAll(async () => {
    await store?.cleanup();
    await temp?.cleanup();
  });

  const demo = (args: string[]) => run([...store.args, ...args], { ...store.io, tmpdir: temp.path });

  it.skipIf(target.skip)(
    'saves, changes, saves a delta, restores and verifies a small tree, then cleans up',
    async () => {
      const result = await demo(['--json', 'demo', '--scale', '0.03']);
      expect(result.code).toBe(0);
      const doc = result.json<DemoJson>();
      expect(doc.ok).toBe(true);
      expect(doc.phases.map((p) => p.name)).toEqual([
        'generate',
        'save',
        'change',
        'save',
        'restore',
        'verify',
      ]);
      expect(doc.tree.symlinks).toBe(1);
      expect(doc.saves.full.outcome).toBe('saved');
      expect(doc.saves.delta.outcome).toBe('delta');
      expect(doc.saves.delta.uploadedBytes).toBeLessThan(doc.saves.delta.entryBytes);
      expect(doc.deltaSavings).toBeGreaterThan(0);
      expect(doc.restore).toMatchObject({ cacheHit: true });
      expect(doc.restore.deltaBytes).toBeGreaterThan(0);
      expect(doc.verify.differences).toEqual([]);
      // Nothing left behind: no store objects of the demo, no temp dirs.
      const ls = await run([...store.args, '--json', 'ls'], store.io);
      expect(ls.json<{ entries: unknown[] }>().entries).toEqual([]);
      expect(await readdir(temp.path)).toEqual([]);
    },
  );

  it.skipIf(target.skip)('prints phases with sizes, times and rates; --keep leaves the entry', async () => {
    const result = await demo(['demo', '--scale', '0.02', '--keep']);
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(
      /^generate +[\d,]+ files, 1 symlink, 1 empty dir: [\d.]+ [KM]iB +[\d.]+ (ms|s) +[\d.]+ MB\/s$/m,
    );
    expect(out).toMatch(/^save +full: .* stored .*MB\/s$/m);
    expect(out).toMatch(/^change +\d+ modified, \d+ added, \d+ removed/m);
    expect(out).toMatch(/^save +delta: .* uploaded instead of .* less\)/m);
    expect(out).toMatch(/^restore +.* from .* read/m);
    expect(out).toMatch(/^verify +identical: /m);
    expect(out).toMatch(/^demo passed in /m);
    expect(out).toContain('kept the demo entry');
    const ls = await run([...store.args, '--json', 'ls', '--key-prefix', 'ccache-linux-x64-'], store.io);
    expect(ls.json<{ entries: unknown[] }>().entries).toHaveLength(1);
  });

  it.skipIf(target.skip)('rejects a bad --scale with exit 2', async () => {
    expect((await demo(['demo', '--scale', '0'])).code).toBe(2);
  });
});
