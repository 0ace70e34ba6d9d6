import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/index.js';
import { Capture, run, type StoreTarget, storeTargets, tempDir } from './harness.js';

interface LsJson {
  entries: { repository: string; scope: string; key: string; bytes: number; lastAccessAt: string | null }[];
}

interface StatsJson {
  repositories: {
    repository: string;
    entries: number;
    bytes: number;
    capBytes: number;
    hits: number;
    usage: number;
  }[];
}

describe.each(storeTargets)('ls, rm and stats: $name', (target: StoreTarget) => {
  let store: Awaited<ReturnType<StoreTarget['setup']>>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let ws: string;
  const cli = (args: string[], io: Partial<CliIo> = {}) =>
    run([...store.args, ...args], { ...store.io, ...io });
  const save = (repository: string, ref: string, key: string) =>
    cli(['save', '--repository', repository, '--ref', ref, '--workspace', ws, '-p', 'data', '-k', key]);
  const keys = async (args: string[] = []) =>
    (await cli(['--json', 'ls', ...args]))
      .json<LsJson>()
      .entries.map((e) => `${e.repository} ${e.scope} ${e.key}`);

  beforeAll(async () => {
    if (target.skip) return;
    store = await target.setup();
    work = await tempDir();
    ws = join(work.path, 'ws');
    await mkdir(join(ws, 'data'), { recursive: true });
    await writeFile(join(ws, 'data/file.bin'), 'cache me '.repeat(4000));
    for (const [repository, ref, key] of [
      ['acme/app', 'refs/heads/main', 'npm-1'],
      ['acme/app', 'refs/heads/main', 'npm-2'],
      ['acme/app', 'refs/pull/5/merge', 'npm-pr'],
      ['acme/app', 'refs/heads/main', 'gradle-1'],
      ['other/lib', 'refs/heads/main', 'npm-1'],
    ] as const) {
      expect((await save(repository, ref, key)).code).toBe(0);
    }
  });
  afterAll(async () => {
    await store?.cleanup();
    await work?.cleanup();
  });

  it.skipIf(target.skip)('lists every entry as an aligned table with sizes and times', async () => {
    const result = await cli(['ls']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY +SCOPE +KEY +VERSION +SIZE +GEN +CREATED +LAST ACCESS$/);
    // Columns line up: every row has its SCOPE at the header's offset.
    const scopeAt = lines[0]?.indexOf('SCOPE') ?? -1;
    for (const row of lines.slice(1, 6)) expect(row.slice(scopeAt, scopeAt + 5)).toBe('refs/');
    expect(result.stdout).toMatch(/KiB/);
    expect(result.stdout).toContain('never');
    expect(result.stdout).toMatch(/5 entries, .* in /);
  });

  it.skipIf(target.skip)('filters by repository, scope and key prefix', async () => {
    expect(await keys(['--repository', 'Other/Lib'])).toEqual(['other/lib refs/heads/main npm-1']);
    expect(await keys(['--repository', 'acme/app', '--scope', 'refs/pull/5/merge'])).toEqual([
      'acme/app refs/pull/5/merge npm-pr',
    ]);
    expect(
      (await keys(['--repository', 'acme/app', '--scope', 'main', '--key-prefix', 'npm-'])).sort(),
    ).toEqual(['acme/app refs/heads/main npm-1', 'acme/app refs/heads/main npm-2']);
    const none = await cli(['ls', '--key-prefix', 'nothing-']);
    expect(none.stdout).toContain('no cache entries');
  });

  it.skipIf(target.skip)('rm refuses without a terminal and without --yes, and deletes nothing', async () => {
    const result = await cli(['rm', '--repository', 'acme/app', '--key', 'gradle-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pass --yes');
    expect(await keys(['--key-prefix', 'gradle-'])).toHaveLength(1);
  });

  it.skipIf(target.skip)('rm needs a selector', async () => {
    const result = await cli(['rm', '--repository', 'acme/app', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--key, --key-prefix or --scope');
  });

  it.skipIf(target.skip)('rm on a terminal shows the entries and asks; "no" keeps them', async () => {
    const stderr = new Capture(true);
    const questions: string[] = [];
    const result = await cli(['rm', '--key', 'gradle-1'], {
      stdinIsTTY: true,
      stderr,
      confirm: async (q) => {
        questions.push(q);
        return false;
      },
    });
    expect(questions).toEqual([expect.stringMatching(/^Delete 1 entry, .*\? \[y\/N\] $/)]);
    expect(stderr.text).toContain('gradle-1');
    expect(result.code).toBe(2);
    expect(await keys(['--key-prefix', 'gradle-'])).toHaveLength(1);
  });

  it.skipIf(target.skip)('rm --dry-run lists without deleting', async () => {
    const result = await cli(['--json', 'rm', '--scope', 'refs/pull/5/merge', '--dry-run']);
    expect(result.json()).toMatchObject({ dryRun: true, wouldDelete: [{ key: 'npm-pr' }] });
    expect(await keys(['--scope', 'refs/pull/5/merge'])).toHaveLength(1);
  });

  it.skipIf(target.skip)(
    'rm on a terminal deletes after "yes"; --yes deletes by scope without asking',
    async () => {
      const yes = await cli(['rm', '--key', 'gradle-1'], { stdinIsTTY: true, confirm: async () => true });
      expect(yes.code).toBe(0);
      expect(yes.stdout).toMatch(/deleted 1 entry \(\d+ objects, /);
      expect(await keys(['--key-prefix', 'gradle-'])).toEqual([]);

      const byScope = await cli([
        '--json',
        'rm',
        '--repository',
        'acme/app',
        '--scope',
        'refs/pull/5/merge',
        '--yes',
      ]);
      expect(byScope.code).toBe(0);
      expect(byScope.json()).toMatchObject({ ok: true, deleted: [{ key: 'npm-pr' }], failed: [] });
      expect((await keys()).sort()).toEqual([
        'acme/app refs/heads/main npm-1',
        'acme/app refs/heads/main npm-2',
        'other/lib refs/heads/main npm-1',
      ]);
    },
  );

  it.skipIf(target.skip)(
    'stats shows usage against the cap and counts restored entries as hits',
    async () => {
      // S3 LastModified has one-second resolution: the marker must be visibly newer than the manifest.
      await sleep(1100);
      const restore = await cli([
        'restore',
        '--repository',
        'acme/app',
        '--ref',
        'main',
        '--workspace',
        join(work.path, 'restored'),
        '-p',
        'data',
        '-k',
        'npm-1',
      ]);
      expect(restore.code).toBe(0);

      const table = await cli(['stats', '--cap', '1MiB']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^REPOSITORY +ENTRIES +SIZE +CAP +USED +RESTORED +LAST ACCESS$/m);
      expect(table.stdout).toMatch(/^acme\/app +2 +.* 1\.00 MiB +\d+(\.\d)?% +1\/2 +(just now|\d+ s ago)$/m);
      expect(table.stdout).toMatch(/^other\/lib +1 +.* 0\/1 +never$/m);

      const json = (await cli(['--json', 'stats'])).json<StatsJson>();
      const acme = json.repositories.find((r) => r.repository === 'acme/app');
      expect(acme).toMatchObject({ entries: 2, hits: 1, capBytes: 10 * 1024 ** 3 });

      const policy = JSON.stringify({ repositories: { 'Acme/App': { capBytes: '2MiB' } } });
      const perRepo = (await cli(['--json', 'stats', '--policy', policy])).json<StatsJson>();
      expect(perRepo.repositories.map((r) => [r.repository, r.capBytes])).toEqual([
        ['acme/app', 2 * 1024 ** 2],
        ['other/lib', 10 * 1024 ** 3],
      ]);
      const fromEnv = (await cli(['--json', 'stats'], { env: { S3CACHE_POLICY: policy } })).json<StatsJson>();
      expect(fromEnv.repositories[0]?.capBytes).toBe(2 * 1024 ** 2);

      const over = await cli(['stats', '--cap', '1KiB', '--repository', 'acme/app']);
      expect(over.stdout).toContain('OVER');
      expect(over.stderr).toContain('over its cap');
      expect((await cli(['stats', '--cap', 'lots'])).code).toBe(2);
      expect((await cli(['stats', '--policy', '{"nope":1}'])).code).toBe(2);
    },
  );

  it.skipIf(target.skip)('ls shows the last access after a restore', async () => {
    const ls = (
      await cli(['--json', 'ls', '--repository', 'acme/app', '--key-prefix', 'npm-1'])
    ).json<LsJson>();
    expect(ls.entries[0]?.lastAccessAt).not.toBeNull();
  });
});
