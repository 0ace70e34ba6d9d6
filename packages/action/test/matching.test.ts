// End to end: which entry a restore picks, across keys and across scopes (branches, PRs, tags).
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createTestBucket, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStep, type StepResult, tempDir, uniqueKey, writeTree } from './harness.js';
import { type ActionS3, actionS3 } from './lab.js';

describe.skipIf(s3TestsSkipped())('matching through dist/', () => {
  let bucket: TestBucket;
  let s3: ActionS3;
  const dirs: string[] = [];

  beforeAll(async () => {
    bucket = await createTestBucket({ prefix: 's3cache-action' });
    s3 = actionS3(bucket.name);
  });
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await bucket?.cleanup();
  });

  const workspace = (files: Record<string, string> = {}): string => {
    const dir = tempDir('ws');
    dirs.push(dir);
    writeTree(dir, files);
    return dir;
  };

  /** A run's git context: GITHUB_REF, GITHUB_BASE_REF and the event payload. */
  interface Run {
    ref: string;
    baseRef?: string;
    defaultBranch?: string;
  }
  const runEnv = (run: Run) => ({
    ...s3.env,
    GITHUB_REF: run.ref,
    GITHUB_BASE_REF: run.baseRef ?? '',
    GITHUB_EVENT_NAME: run.ref.startsWith('refs/pull/') ? 'pull_request' : 'push',
  });
  const event = (run: Run) => ({ repository: { default_branch: run.defaultBranch ?? 'main' } });

  /** Saves `content` as cache/id.txt under `key` from a run on `run.ref`. */
  async function save(key: string, content: string, run: Run = { ref: 'refs/heads/main' }): Promise<void> {
    const result = await runStep('save', {
      workspace: workspace({ 'cache/id.txt': content }),
      inputs: { ...s3.inputs, key, path: 'cache' },
      env: runEnv(run),
      event: event(run),
    });
    expect(result.code, result.text).toBe(0);
    expect(result.log, result.text).toContain(`Cache saved with key: ${key}`);
  }

  /** Restores into a fresh workspace; returns the result and what cache/id.txt holds ('' if nothing). */
  async function restore(
    key: string,
    restoreKeys: string[],
    run: Run = { ref: 'refs/heads/main' },
  ): Promise<{ result: StepResult; content: string }> {
    const ws = workspace();
    const result = await runStep('restore', {
      workspace: ws,
      inputs: { ...s3.inputs, key, path: 'cache', 'restore-keys': restoreKeys.join('\n') },
      env: runEnv(run),
      event: event(run),
    });
    expect(result.code, result.text).toBe(0);
    expect(result.warnings, result.text).toEqual([]);
    let content = '';
    try {
      content = readFileSync(path.join(ws, 'cache/id.txt'), 'utf8');
    } catch {}
    return { result, content };
  }

  it('tries restore keys in the order given, not by age', async () => {
    const base = uniqueKey('order');
    await save(`${base}-linux-1`, 'linux');
    await save(`${base}-any-1`, 'any'); // newer
    const first = await restore(`${base}-missing`, [`${base}-linux-`, `${base}-any-`]);
    expect(first.content).toBe('linux');
    expect(first.result.outputs).toEqual({
      'cache-hit': 'false',
      'cache-primary-key': `${base}-missing`,
      'cache-matched-key': `${base}-linux-1`,
    });
    const second = await restore(`${base}-missing`, [`${base}-any-`, `${base}-linux-`]);
    expect(second.content).toBe('any');
  });

  it('picks the newest entry with a matching prefix, and an exact restore key before a prefix', async () => {
    const base = uniqueKey('newest');
    await save(`${base}-a`, 'a');
    await save(`${base}-b`, 'b');
    await save(`${base}-c`, 'c');
    expect((await restore('unrelated', [`${base}-`])).content).toBe('c');
    // The primary key itself is a prefix too (actions/cache): newest match, but no cache hit.
    const prefixed = await restore(`${base}-`, []);
    expect(prefixed.content).toBe('c');
    expect(prefixed.result.outputs['cache-hit']).toBe('false');
    expect(prefixed.result.log.some((l) => l.includes('newest entry whose key starts with the key'))).toBe(
      true,
    );
    // An exact restore key wins over newer entries it is a prefix of.
    expect((await restore('unrelated', [`${base}-a`])).content).toBe('a');
  });

  it('falls back from a pull request to its base branch, then the default branch, never a sibling', async () => {
    const key = uniqueKey('scoped');
    await save(key, 'main');
    await save(key, 'release', { ref: 'refs/heads/release' });
    await save(key, 'sibling', { ref: 'refs/heads/sibling' });

    const pr = { ref: 'refs/pull/7/merge', baseRef: 'release' };
    const fromBase = await restore(key, [], pr);
    expect(fromBase.content).toBe('release');
    expect(fromBase.result.log).toContain(
      '  repository acme/app, scopes in order: refs/pull/7/merge -> refs/heads/release -> refs/heads/main',
    );
    expect(fromBase.result.summary).toContain('scope refs/heads/release');

    expect(
      (await restore(key, [], { ref: 'refs/pull/8/merge', baseRef: 'feature-without-cache' })).content,
    ).toBe('main');
    expect((await restore(key, [], { ref: 'refs/heads/other' })).content).toBe('main');
    expect((await restore(key, [], { ref: 'refs/heads/sibling' })).content).toBe('sibling');
  });

  it("keeps a pull request's saves to that pull request, and tags to themselves", async () => {
    const key = uniqueKey('isolated');
    await save(key, 'pr-7', { ref: 'refs/pull/7/merge', baseRef: 'main' });
    await save(key, 'v1', { ref: 'refs/tags/v1' });
    expect((await restore(key, [], { ref: 'refs/pull/7/merge', baseRef: 'main' })).content).toBe('pr-7');
    expect((await restore(key, [], { ref: 'refs/pull/8/merge', baseRef: 'main' })).content).toBe('');
    expect((await restore(key, [], { ref: 'refs/heads/main' })).content).toBe('');
    expect((await restore(key, [], { ref: 'refs/tags/v2' })).content).toBe('');
    expect((await restore(key, [], { ref: 'refs/tags/v1' })).content).toBe('v1');
  });

  it('keeps entries of other path lists (versions) invisible', async () => {
    const key = uniqueKey('version');
    await save(key, 'x');
    const ws = workspace();
    const other = await runStep('restore', {
      workspace: ws,
      inputs: { ...s3.inputs, key, path: 'cache\nother' },
      env: s3.env,
    });
    expect(other.outputs['cache-hit']).toBe('false');
  });
});
