import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/index.js';
import { run, type StoreTarget, storeTargets, tempDir } from './harness.js';

interface SaveJson {
  command: string;
  outcome: string;
  repository: string;
  scope: string;
  uploadedBytes: number;
  entryBytes: number;
}

interface RestoreJson {
  command: string;
  cacheHit: boolean;
  matchedKey: string | null;
  match: { scope: string; how: string } | null;
  scopes: string[];
}

describe.each(storeTargets)('save and restore: $name', (target: StoreTarget) => {
  let store: Awaited<ReturnType<StoreTarget['setup']>>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  const repo = ['--repository', 'acme/widgets'];

  beforeAll(async () => {
    if (target.skip) return;
    store = await target.setup();
    work = await tempDir();
  });
  afterAll(async () => {
    await store?.cleanup();
    await work?.cleanup();
  });

  /** A workspace with a `deps` directory holding `files`. */
  async function workspace(name: string, files: Record<string, string> = {}): Promise<string> {
    const ws = join(work.path, name);
    await mkdir(join(ws, 'deps/sub'), { recursive: true });
    for (const [file, body] of Object.entries(files)) await writeFile(join(ws, 'deps', file), body);
    return ws;
  }
  const cli = (args: string[], io: Partial<CliIo> = {}) =>
    run([...store.args, ...args], { ...store.io, ...io });

  it.skipIf(target.skip)('saves, then restores the exact key into another workspace', async () => {
    const ws = await workspace('exact-src', { 'a.txt': 'alpha', 'sub/b.txt': 'beta'.repeat(1000) });
    const saved = await cli([
      '--json',
      'save',
      ...repo,
      '--ref',
      'main',
      '--workspace',
      ws,
      '--path',
      'deps',
      '--key',
      'deps-1',
    ]);
    expect(saved.code).toBe(0);
    const doc = saved.json<SaveJson>();
    expect(doc).toMatchObject({
      command: 'save',
      outcome: 'saved',
      repository: 'acme/widgets',
      scope: 'refs/heads/main',
    });
    expect(doc.uploadedBytes).toBeGreaterThan(0);

    const dest = await workspace('exact-dst');
    const restored = await cli([
      '--json',
      'restore',
      ...repo,
      '--ref',
      'main',
      '--workspace',
      dest,
      '-p',
      'deps',
      '-k',
      'deps-1',
    ]);
    expect(restored.code).toBe(0);
    expect(restored.json<RestoreJson>()).toMatchObject({ cacheHit: true, matchedKey: 'deps-1' });
    expect(await readFile(join(dest, 'deps/sub/b.txt'), 'utf8')).toBe('beta'.repeat(1000));
  });

  it.skipIf(target.skip)(
    'prints a human summary, and `cache-hit: false` for a restore-key match',
    async () => {
      const ws = await workspace('human-src', { 'x.bin': 'x'.repeat(5000) });
      const saved = await cli([
        'save',
        ...repo,
        '--ref',
        'main',
        '--workspace',
        ws,
        '-p',
        'deps',
        '-k',
        'npm-linux-abc',
      ]);
      expect(saved.code).toBe(0);
      expect(saved.stdout).toMatch(/^saved +acme\/widgets +refs\/heads\/main +key "npm-linux-abc"/m);
      expect(saved.stdout).toMatch(/uploaded .* in .* MB\/s/);

      const dest = await workspace('human-dst');
      const restored = await cli([
        'restore',
        ...repo,
        '--ref',
        'main',
        '--workspace',
        dest,
        '-p',
        'deps',
        '-k',
        'npm-linux-def',
        '--restore-key',
        'npm-linux-',
      ]);
      expect(restored.code).toBe(0);
      expect(restored.stdout).toContain('restored key "npm-linux-abc"');
      expect(restored.stdout).toContain('newest entry starting with a restore key');
      expect(restored.stdout).toContain('cache-hit: false');
      expect((await stat(join(dest, 'deps/x.bin'))).size).toBe(5000);
    },
  );

  it.skipIf(target.skip)('a miss exits 0, or 3 with --fail-on-cache-miss', async () => {
    const dest = await workspace('miss');
    const args = [
      'restore',
      ...repo,
      '--ref',
      'main',
      '--workspace',
      dest,
      '-p',
      'deps',
      '-k',
      'never-saved',
    ];
    const miss = await cli(args);
    expect(miss.code).toBe(0);
    expect(miss.stdout).toContain('miss');
    const failing = await cli(['--json', ...args, '--fail-on-cache-miss']);
    expect(failing.code).toBe(3);
    expect(failing.json<RestoreJson>()).toMatchObject({ cacheHit: false, matchedKey: null });
    expect(failing.stderr).toContain('cache miss');
  });

  it.skipIf(target.skip)('--lookup-only finds the entry without writing anything', async () => {
    const ws = await workspace('lookup-src', { 'l.txt': 'look' });
    expect(
      (await cli(['save', ...repo, '--ref', 'main', '--workspace', ws, '-p', 'deps', '-k', 'lookup-1'])).code,
    ).toBe(0);
    const dest = join(work.path, 'lookup-dst');
    const found = await cli([
      '--json',
      'restore',
      ...repo,
      '--ref',
      'main',
      '--workspace',
      dest,
      '-p',
      'deps',
      '-k',
      'lookup-1',
      '--lookup-only',
    ]);
    expect(found.json<RestoreJson>()).toMatchObject({ cacheHit: true, lookupOnly: true });
    await expect(stat(dest)).rejects.toThrow();
  });

  it.skipIf(target.skip)(
    'keeps scopes apart as actions/cache does: branches read themselves and the default branch',
    async () => {
      const ws = await workspace('scope-src', { 's.txt': 'scoped' });
      const save = (ref: string, key: string) =>
        cli(['save', ...repo, '--ref', ref, '--workspace', ws, '-p', 'deps', '-k', key]);
      expect((await save('refs/heads/feature/x', 'scope-feature')).code).toBe(0);
      expect((await save('refs/heads/main', 'scope-main')).code).toBe(0);
      const restore = async (ref: string, key: string, extra: string[] = []) =>
        (
          await cli([
            '--json',
            'restore',
            ...repo,
            '--ref',
            ref,
            '--workspace',
            join(work.path, `scope-dst-${Math.random()}`),
            '-p',
            'deps',
            '-k',
            key,
            ...extra,
          ])
        ).json<RestoreJson>();
      // main never sees a feature branch's entry ...
      expect((await restore('refs/heads/main', 'scope-feature')).matchedKey).toBeNull();
      // ... a feature branch sees the default branch's,
      expect(await restore('refs/heads/feature/y', 'scope-main')).toMatchObject({
        matchedKey: 'scope-main',
        match: { scope: 'refs/heads/main' },
        scopes: ['refs/heads/feature/y', 'refs/heads/main'],
      });
      // ... and a pull request also reads its base branch.
      expect(await restore('refs/pull/7/merge', 'scope-feature', ['--base-ref', 'feature/x'])).toMatchObject({
        matchedKey: 'scope-feature',
        scopes: ['refs/pull/7/merge', 'refs/heads/feature/x', 'refs/heads/main'],
      });
    },
  );

  it.skipIf(target.skip)('saving an existing key adds a delta; --no-deltas leaves it alone', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`f${i}.txt`] = `file ${i} `.repeat(20_000);
    const ws = await workspace('delta-src', files);
    const save = (extra: string[] = []) =>
      cli([
        '--json',
        'save',
        ...repo,
        '--ref',
        'main',
        '--workspace',
        ws,
        '-p',
        'deps',
        '-k',
        'delta-1',
        ...extra,
      ]);
    expect((await save()).json<SaveJson>().outcome).toBe('saved');
    await writeFile(join(ws, 'deps/f3.txt'), 'changed '.repeat(30_000));
    const second = (await save()).json<SaveJson>();
    expect(second.outcome).toBe('delta');
    expect(second.uploadedBytes).toBeLessThan(second.entryBytes / 2);
    const third = await save(['--no-deltas']);
    expect(third.json<SaveJson>().outcome).toBe('exists');
  });

  it.skipIf(target.skip)(
    'takes the repository and ref from GitHub variables, then git, then local defaults',
    async () => {
      const ws = await workspace('defaults-src', { 'd.txt': 'defaults' });
      const base = ['--json', 'save', '--workspace', ws, '-p', 'deps'];
      const fromEnv = await cli([...base, '-k', 'env-1'], {
        env: { GITHUB_REPOSITORY: 'Octo/Env', GITHUB_REF: 'refs/pull/9/merge' },
      });
      expect(fromEnv.json<SaveJson>()).toMatchObject({ repository: 'octo/env', scope: 'refs/pull/9/merge' });

      const git = async (args: readonly string[]) => {
        const joined = args.join(' ');
        if (joined === 'remote get-url origin') return 'git@github.com:octo/from-git.git';
        if (joined === 'symbolic-ref --quiet --short HEAD') return 'topic';
        return undefined;
      };
      const fromGit = await cli([...base, '-k', 'git-1'], { git });
      expect(fromGit.json<SaveJson>()).toMatchObject({
        repository: 'octo/from-git',
        scope: 'refs/heads/topic',
      });

      const fallback = await cli([...base, '-k', 'local-1']);
      expect(fallback.json<SaveJson>()).toMatchObject({
        repository: 'local/defaults-src',
        scope: 'refs/heads/main',
      });
    },
  );

  it.skipIf(target.skip)('rejects invalid input with exit 2 before touching the store', async () => {
    const ws = await workspace('invalid');
    const comma = await cli(['save', ...repo, '--workspace', ws, '-p', 'deps', '-k', 'a,b']);
    expect(comma.code).toBe(2);
    expect(comma.stderr).toContain('cannot contain commas');
    const noPath = await cli(['save', ...repo, '--workspace', ws, '-k', 'k']);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain('--path is required');
    const noKey = await cli(['restore', ...repo, '--workspace', ws, '-p', 'deps']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("required option '-k, --key <key>' not specified");
    const tooMany = await cli([
      'restore',
      ...repo,
      '--workspace',
      ws,
      '-p',
      'deps',
      '-k',
      'k',
      ...Array.from({ length: 10 }, (_, i) => ['-r', `r${i}`]).flat(),
    ]);
    expect(tooMany.code).toBe(2);
    const badRepo = await cli([
      '--json',
      'save',
      '--repository',
      'not a repo',
      '--workspace',
      ws,
      '-p',
      'deps',
      '-k',
      'k',
    ]);
    expect(badRepo.code).toBe(2);
    expect(badRepo.json()).toMatchObject({ ok: false, error: { exitCode: 2 } });
  });

  it.skipIf(target.skip || target.name !== 'S3 store')(
    'fails (exit 1) when the bucket does not exist, rather than missing',
    async () => {
      const dest = await workspace('no-bucket');
      const args = store.args.map((a) =>
        a.startsWith('s3://') ? `s3://${store.bucket?.name}-missing/cache` : a,
      );
      const result = await run(
        [...args, 'restore', ...repo, '--workspace', dest, '-p', 'deps', '-k', 'k'],
        store.io,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('does not exist');
    },
  );

  it.skipIf(target.skip)('warns and saves nothing when no file matches', async () => {
    const ws = await workspace('empty');
    const result = await cli([
      '--json',
      'save',
      ...repo,
      '--workspace',
      ws,
      '-p',
      'does-not-exist',
      '-k',
      'empty-1',
    ]);
    expect(result.code).toBe(0);
    expect(result.json<SaveJson>().outcome).toBe('empty');
    expect(result.stderr).toContain('no file matched');
  });
});
