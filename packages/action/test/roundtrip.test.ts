// End to end: the bundled entry points against a real S3, run as the runner runs them.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createTestBucket, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  randomContent,
  runCombined,
  runStep,
  type StepResult,
  tempDir,
  treeDigest,
  uniqueKey,
  writeTree,
} from './harness.js';
import { type ActionS3, actionS3 } from './lab.js';

describe.skipIf(s3TestsSkipped())('save and restore through dist/', () => {
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

  const workspace = (files: Record<string, string | Buffer> = {}): string => {
    const dir = tempDir('ws');
    dirs.push(dir);
    writeTree(dir, files);
    return dir;
  };

  const step = (
    entry: 'restore' | 'save',
    ws: string,
    inputs: Record<string, string>,
    env: Record<string, string | undefined> = {},
  ) => runStep(entry, { workspace: ws, inputs: { ...s3.inputs, ...inputs }, env: { ...s3.env, ...env } });

  const expectClean = (result: StepResult) => {
    expect(result.code, result.text).toBe(0);
    expect(result.warnings, result.text).toEqual([]);
    expect(result.errors, result.text).toEqual([]);
  };

  it('restores into a fresh workspace byte for byte, on the node:zlib zstd codec', async () => {
    const key = uniqueKey('deps');
    const files = {
      'deps/a.txt': 'hello\n',
      'deps/nested/deeper/b.bin': randomContent(3_000_000),
      'deps/empty.txt': '',
      'build/out.o': randomContent(10_000),
    };
    const source = workspace(files);
    const saved = await step('save', source, { key, path: 'deps\nbuild/*.o' });
    expectClean(saved);
    expect(saved.log).toContain(`Cache saved with key: ${key}`);
    // The bundle has no @mongodb-js/zstd: core must fall back to node:zlib (Node 24).
    expect(saved.log.find((l) => l.startsWith('Cache store:'))).toMatch(/zstd node:zlib\)$/);
    // The files were archived on the bundled worker thread (dist/worker.mjs), not in-thread.
    expect(saved.debug).toContain('Archived on a worker thread.');

    const target = workspace();
    const restored = await step('restore', target, { key, path: 'deps\nbuild/*.o' });
    expectClean(restored);
    expect(restored.outputs).toEqual({
      'cache-hit': 'true',
      'cache-primary-key': key,
      'cache-matched-key': key,
    });
    expect(restored.log).toContain(
      `Cache restored from key: ${key} (exact match of the key, scope refs/heads/main, generation ${restored.log.join('\n').match(/generation ([\w-]+)\)/)?.[1]})`,
    );
    expect(
      restored.log.some((l) =>
        /^ {2}size: 3\.0 MB downloaded, 3\.0 MB unpacked, .* MB\/s compressed/.test(l),
      ),
    ).toBe(true);
    expect(restored.log.some((l) => /^Time: connect .* s, lookup \+ download \+ extract .* s$/.test(l))).toBe(
      true,
    );
    expect(treeDigest(target)).toEqual(treeDigest(source));
    expect(restored.summary).toContain('<h3>s3cache restore</h3>');
    expect(restored.summary).toContain(`<code>${key}</code>`);
    expect(restored.summary).toContain('<td>hit</td>');
  });

  it('restores the same relative places into a workspace at another path', async () => {
    const key = uniqueKey('rel');
    const source = workspace({ 'sub/dir/file.txt': 'relative' });
    expectClean(await step('save', source, { key, path: 'sub' }));
    const target = workspace();
    expectClean(await step('restore', target, { key, path: 'sub' }));
    expect(treeDigest(target)).toEqual({ 'sub/dir/file.txt': treeDigest(source)['sub/dir/file.txt'] });
  });

  it('reports an explicit cache-hit=false on a miss, and logs the keys it looked for', async () => {
    const key = uniqueKey('never-saved');
    const result = await step('restore', workspace(), { key, path: 'x', 'restore-keys': 'never-\nnone-' });
    expectClean(result);
    expect(result.outputs).toEqual({ 'cache-hit': 'false', 'cache-primary-key': key });
    expect(result.log).toContain(`Cache not found for input keys: ${key}, never-, none-`);
    expect(result.log).toContain('  restore keys: "never-", "none-"');
    expect(result.log).toContain('  repository acme/app, scopes in order: refs/heads/main');
    expect(result.summary).toContain('<td>miss</td>');
  });

  it('lookup-only reports the hit without downloading anything', async () => {
    const key = uniqueKey('lookup');
    expectClean(await step('save', workspace({ 'dir/f': 'x' }), { key, path: 'dir' }));
    const target = workspace();
    const result = await step('restore', target, { key, path: 'dir', 'lookup-only': 'true' });
    expectClean(result);
    expect(result.outputs['cache-hit']).toBe('true');
    expect(result.outputs['cache-matched-key']).toBe(key);
    expect(result.log.some((l) => l.startsWith(`Cache found and can be restored from key: ${key}`))).toBe(
      true,
    );
    expect(treeDigest(target)).toEqual({});
  });

  it('fail-on-cache-miss fails the step on a miss, and only then', async () => {
    const key = uniqueKey('must-exist');
    const miss = await step('restore', workspace(), { key, path: 'dir', 'fail-on-cache-miss': 'true' });
    expect(miss.code, miss.text).toBe(1);
    expect(miss.errors).toEqual([
      `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}. Save the cache first (or drop fail-on-cache-miss) to let this job run without it.`,
    ]);
    expect(miss.outputs['cache-hit']).toBe('false');

    expectClean(await step('save', workspace({ 'dir/f': 'x' }), { key, path: 'dir' }));
    expectClean(await step('restore', workspace(), { key, path: 'dir', 'fail-on-cache-miss': 'true' }));
  });

  it('combined action: saves in the post step after a miss, skips after an exact hit without deltas', async () => {
    const key = uniqueKey('combined');
    const inputs = { ...s3.inputs, key, path: 'out', 'use-deltas': 'false' };
    const first = workspace();
    const run1 = await runCombined(
      { workspace: first, inputs, env: s3.env },
      { between: () => writeTree(first, { 'out/result.txt': 'built' }) },
    );
    expectClean(run1.main);
    expect(run1.main.outputs).toEqual({ 'cache-hit': 'false' });
    expect(run1.main.state).toEqual({ CACHE_KEY: key });
    expect(run1.post && expectClean(run1.post));
    expect(run1.post?.log).toContain(`Cache saved with key: ${key}`);

    // The primary key is frozen at restore time: the post step ignores a changed `key` input.
    const second = workspace();
    const run2 = await runCombined(
      { workspace: second, inputs, env: s3.env },
      { inputs: { ...inputs, key: `${key}-changed` } },
    );
    expectClean(run2.main);
    expect(run2.main.outputs).toEqual({ 'cache-hit': 'true' });
    expect(run2.main.state).toEqual({ CACHE_KEY: key, CACHE_RESULT: key });
    expect(run2.post?.log).toContain(`Cache hit occurred on the primary key ${key}, not saving cache.`);
    expect(run2.post?.summary).toContain('<td>skipped</td>');
    expect(treeDigest(second)).toEqual(treeDigest(first));
  });

  it('combined action with deltas: an unchanged hit uploads nothing, a changed one only the change', async () => {
    const key = uniqueKey('deltas');
    const inputs = { ...s3.inputs, key, path: 'cache' };
    const big = randomContent(2_000_000);
    const first = workspace({ 'cache/big.bin': big, 'cache/small.txt': 'v1' });
    const run1 = await runCombined({ workspace: first, inputs, env: s3.env });
    expect(run1.post?.log).toContain(`Cache saved with key: ${key}`);

    const second = workspace();
    const run2 = await runCombined({ workspace: second, inputs, env: s3.env });
    expect(run2.main.outputs['cache-hit']).toBe('true');
    expect(run2.post?.log).toContain(
      `Cache hit on the primary key ${key}: saving only what changed (use-deltas).`,
    );
    expect(
      run2.post?.log.some((l) => l.startsWith(`Cache entry ${key} is unchanged: nothing uploaded`)),
    ).toBe(true);

    const third = workspace();
    const run3 = await runCombined(
      { workspace: third, inputs, env: s3.env },
      { between: () => writeFileSync(path.join(third, 'cache/small.txt'), 'v2') },
    );
    expect(run3.post && expectClean(run3.post));
    expect(run3.post?.log).toContain(`Cache saved with key: ${key} (a delta: only what changed)`);
    // Only the chunks around the change went up; the summary counts what the delta did not resend.
    const row = run3.post?.summary.match(
      /<td>delta<\/td><td>([\d.]+) (B|kB)<\/td><td>[^<]*<\/td><td>([\d.]+) MB<\/td>/,
    );
    expect(row, run3.post?.summary).toBeTruthy();
    expect(Number(row?.[3])).toBeGreaterThan(1.5);

    const fresh = workspace();
    const restored = await step('restore', fresh, { key, path: 'cache' });
    expectClean(restored);
    expect(treeDigest(fresh)).toEqual(treeDigest(third));
  });

  it('combined action: a lookup-only hit saves nothing; save-always is accepted with a warning', async () => {
    const key = uniqueKey('lookup-combined');
    const inputs = { ...s3.inputs, key, path: 'out' };
    expectClean(await step('save', workspace({ 'out/f': 'x' }), { key, path: 'out' }));
    const lookup = await runCombined({
      workspace: workspace(),
      inputs: { ...inputs, 'lookup-only': 'true' },
      env: s3.env,
    });
    expect(lookup.main.outputs).toEqual({ 'cache-hit': 'true' });
    expect(lookup.post?.log).toContain(
      `Cache hit on the primary key ${key} with lookup-only: nothing was restored, not saving cache.`,
    );

    const always = await runCombined({
      workspace: workspace(),
      inputs: { ...inputs, 'save-always': 'true' },
      env: s3.env,
    });
    expect(always.main.code).toBe(0);
    expect(always.main.warnings).toEqual([
      '`save-always` is deprecated (upstream too) and ignored: to save even when the job fails, add a separate s3cache/save step with `if: always()`.',
    ]);
    expect(always.main.outputs).toEqual({ 'cache-hit': 'true' });
  });

  it('clears the entry for clear-cache: true and for [ci-clear-cache] in the head commit', async () => {
    const key = uniqueKey('clear');
    const save = () => step('save', workspace({ 'c/f': 'x' }), { key, path: 'c' });
    const entryObjects = async () => {
      const listed = await bucket.client.send(
        new ListObjectsV2Command({ Bucket: bucket.name, Prefix: 'acme/app/heads/main/' }),
      );
      return (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.includes(`/${key}/`));
    };

    expectClean(await save());
    expect((await entryObjects()).length).toBeGreaterThan(0);
    const byInput = await step('restore', workspace(), { key, path: 'c', 'clear-cache': 'true' });
    expectClean(byInput);
    expect(byInput.log).toContain(
      `Clearing cache entry "${key}" in scope refs/heads/main (clear-cache: true)`,
    );
    expect(byInput.outputs['cache-hit']).toBe('false');
    expect(await entryObjects()).toEqual([]);

    expectClean(await save());
    const byTag = await runStep('restore', {
      workspace: workspace(),
      inputs: { ...s3.inputs, key, path: 'c' },
      env: s3.env,
      event: {
        repository: { default_branch: 'main' },
        head_commit: { message: 'Rebuild the world\n\n[ci-clear-cache]' },
      },
    });
    expectClean(byTag);
    expect(byTag.log).toContain(
      `Clearing cache entry "${key}" in scope refs/heads/main ([ci-clear-cache] in the head commit message)`,
    );
    expect(byTag.outputs['cache-hit']).toBe('false');

    // A pull request's title or body never clears: only the head commit of a push does.
    expectClean(await save());
    const pr = await runStep('restore', {
      workspace: workspace(),
      inputs: { ...s3.inputs, key, path: 'c' },
      env: { ...s3.env, GITHUB_EVENT_NAME: 'pull_request' },
      event: {
        repository: { default_branch: 'main' },
        pull_request: { title: '[ci-clear-cache]', body: '[ci-clear-cache]' },
      },
    });
    expectClean(pr);
    expect(pr.outputs['cache-hit']).toBe('true');
  });

  it('does nothing but warn without GITHUB_REF', async () => {
    const result = await runStep('restore', {
      workspace: workspace(),
      inputs: { ...s3.inputs, key: 'k', path: 'p' },
      env: { ...s3.env, GITHUB_REF: undefined, GITHUB_EVENT_NAME: 'workflow_run' },
    });
    expect(result.code).toBe(0);
    expect(result.warnings).toEqual([
      "Event Validation Error: the event type workflow_run is not supported because it's not tied to a branch or tag ref (GITHUB_REF is not set). The cache is skipped.",
    ]);
    expect(result.outputs).toEqual({ 'cache-hit': 'false' });
    const save = await runStep('save', {
      workspace: workspace({ p: 'x' }),
      inputs: { ...s3.inputs, key: 'k', path: 'p' },
      env: { ...s3.env, GITHUB_REF: undefined },
    });
    expect(save.code).toBe(0);
    expect(save.warnings).toHaveLength(1);
    expect(save.log.some((l) => l.startsWith('Cache saved'))).toBe(false);
  });

  it('warns and saves nothing when no path matches', async () => {
    const key = uniqueKey('nothing');
    const result = await step('save', workspace(), { key, path: 'does-not-exist' });
    expect(result.code).toBe(0);
    expect(result.warnings).toEqual([
      'Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved. Check `path` against what the job produced.',
    ]);
  });
});
