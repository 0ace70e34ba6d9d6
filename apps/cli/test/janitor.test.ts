import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/index.js';
import { run, type StoreTarget, storeTargets, tempDir } from './harness.js';

interface JanitorJson {
  dryRun: boolean;
  ok: boolean;
  plan: { items: { reason: string; repository: string; key: string | null; wholeEntry: boolean }[] };
  report: { totals: { objectsDeleted: number; entriesDeleted: number } };
}

describe.each(storeTargets)('janitor: $name', (target: StoreTarget) => {
  let store: Awaited<ReturnType<StoreTarget['setup']>>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  const cli = (args: string[], io: Partial<CliIo> = {}) =>
    run([...store.args, ...args], { ...store.io, ...io });
  const entries = async () =>
    (await cli(['--json', 'ls'])).json<{ entries: { key: string }[] }>().entries.map((e) => e.key);
  // No grace period and a one-byte cap: every entry is over the cap and old enough to go.
  const evictAll = JSON.stringify({ graceMinutes: 0, repositories: { 'acme/app': { capBytes: 1 } } });

  beforeAll(async () => {
    if (target.skip) return;
    store = await target.setup();
    work = await tempDir();
    const ws = join(work.path, 'ws');
    await mkdir(join(ws, 'data'), { recursive: true });
    await writeFile(join(ws, 'data/file.bin'), 'janitor '.repeat(5000));
    for (const [repository, key] of [
      ['acme/app', 'evict-me'],
      ['other/lib', 'keep-me'],
    ] as const) {
      const saved = await cli([
        'save',
        '--repository',
        repository,
        '--ref',
        'main',
        '--workspace',
        ws,
        '-p',
        'data',
        '-k',
        key,
      ]);
      expect(saved.code).toBe(0);
    }
  });
  afterAll(async () => {
    await store?.cleanup();
    await work?.cleanup();
  });

  it.skipIf(target.skip)(
    'is a dry run by default: prints the plan with reasons and deletes nothing',
    async () => {
      const result = await cli(['janitor', '--policy', evictAll]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Janitor plan at');
      expect(result.stdout).toMatch(/repo-cap +acme\/app +heads\/main +evict-me/);
      expect(result.stdout).toContain('dry run');
      expect(result.stdout).toContain('--apply');
      expect((await entries()).sort()).toEqual(['evict-me', 'keep-me']);

      const json = (await cli(['--json', 'janitor', '--policy', evictAll])).json<JanitorJson>();
      expect(json.dryRun).toBe(true);
      expect(json.plan.items).toEqual([
        expect.objectContaining({ reason: 'repo-cap', key: 'evict-me', wholeEntry: true }),
      ]);
    },
  );

  it.skipIf(target.skip)('with the default policy plans nothing for fresh entries', async () => {
    const json = (await cli(['--json', 'janitor'])).json<JanitorJson>();
    expect(json.plan.items).toEqual([]);
  });

  it.skipIf(target.skip)('--apply executes the plan', async () => {
    const result = await cli(['--json', 'janitor', '--policy', evictAll, '--apply']);
    expect(result.code).toBe(0);
    const json = result.json<JanitorJson>();
    expect(json).toMatchObject({ dryRun: false, ok: true });
    expect(json.report.totals.entriesDeleted).toBe(1);
    expect(await entries()).toEqual(['keep-me']);
  });

  it.skipIf(target.skip)('rejects an invalid policy with exit 2', async () => {
    const bad = await cli(['janitor', '--policy', '{"graceMinutes":-1}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('graceMinutes');
    const missing = await cli(['janitor', '--policy', join(work.path, 'no-such-policy.json')]);
    expect(missing.code).toBe(2);
  });
});
