import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestBucket, s3TestConfig, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './harness.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');

/** The newest modification time of any source file. */
function newestSource(dir = join(packageDir, 'src')): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built executable as a user would, with a clean environment. */
function spawnCli(args: string[], env: Record<string, string>, cwd: string): Promise<Spawned> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', CI: '1', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}

describe('the built s3cache executable', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The test pipeline builds first; a developer running this file alone gets a fresh build here.
    if (!existsSync(bin) || statSync(bin).mtimeMs < newestSource()) {
      execFileSync(
        process.execPath,
        [join(packageDir, '../../node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: packageDir,
        },
      );
    }
    work = await tempDir('s3cache-bin-');
    await mkdir(join(work.path, 'project/out'), { recursive: true });
    await writeFile(join(work.path, 'project/out/artifact.txt'), 'built '.repeat(10_000));
    // HOME and XDG_CACHE_HOME inside the temp dir: the embedded store lands there.
    env = { HOME: join(work.path, 'home'), XDG_CACHE_HOME: join(work.path, 'xdg') };
  }, 120_000);
  afterAll(async () => {
    await work?.cleanup();
  });

  it('keeps its shebang and prints its version', async () => {
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    const result = await spawnCli(['--version'], env, work.path);
    expect(result).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('saves to and restores from the embedded store, printing clean JSON', async () => {
    const project = join(work.path, 'project');
    const save = await spawnCli(['--json', 'save', '--path', 'out', '--key', 'artifact-1'], env, project);
    expect(save.code).toBe(0);
    expect(save.stdout).not.toContain('::debug::');
    expect(JSON.parse(save.stdout)).toMatchObject({
      outcome: 'saved',
      repository: 'local/project',
      scope: 'refs/heads/main',
      store: join(work.path, 'xdg/s3cache/store'),
    });
    expect(save.stderr).toBe('');

    const target = join(work.path, 'elsewhere');
    await mkdir(target);
    const restore = await spawnCli(
      ['--json', 'restore', '--path', 'out', '--key', 'artifact-1', '--repository', 'local/project'],
      env,
      target,
    );
    expect(restore.code).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ cacheHit: true });
    expect(existsSync(join(target, 'out/artifact.txt'))).toBe(true);
  });

  it('exits 3 on a miss with --fail-on-cache-miss and 2 on a usage error', async () => {
    const miss = await spawnCli(
      ['restore', '-p', 'out', '-k', 'nothing', '--fail-on-cache-miss'],
      env,
      work.path,
    );
    expect(miss.code).toBe(3);
    const usage = await spawnCli(['restore', '-p', 'out', '-k', 'k', '--no-such-flag'], env, work.path);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown option '--no-such-flag'");
  });

  describe.skipIf(s3TestsSkipped())('against S3 configured by environment variables', () => {
    let bucket: TestBucket;
    beforeAll(async () => {
      bucket = await createTestBucket();
    });
    afterAll(async () => {
      await bucket?.cleanup();
    });

    it('uses S3CACHE_STORE, S3CACHE_ENDPOINT and the standard AWS credential variables', async () => {
      const config = s3TestConfig();
      const s3env = {
        ...env,
        S3CACHE_STORE: `s3://${bucket.name}/ci`,
        S3CACHE_ENDPOINT: config.endpoint,
        AWS_REGION: config.region,
        AWS_ACCESS_KEY_ID: config.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.secretAccessKey,
      };
      const project = join(work.path, 'project');
      const save = await spawnCli(
        ['save', '-p', 'out', '-k', 's3-artifact', '--repository', 'acme/app'],
        s3env,
        project,
      );
      expect(save.code).toBe(0);
      expect(save.stdout).toContain(`store: s3://${bucket.name}/ci`);
      const ls = await spawnCli(['--json', 'ls'], s3env, project);
      expect(JSON.parse(ls.stdout)).toMatchObject({
        entries: [{ repository: 'acme/app', key: 's3-artifact' }],
      });
    });
  });
});
