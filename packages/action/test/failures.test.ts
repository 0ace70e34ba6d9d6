// End to end: what fails a step (validation only) and what is a warning and a miss (everything
// else), with one-line messages that name the cause and the fix. Also concurrency and settings
// from the environment.
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import {
  createTestBucket,
  s3TestsSkipped,
  type TestBucket,
  uniqueBucketName,
  whileDenied,
} from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Entry,
  runStep,
  type StepResult,
  tempDir,
  treeDigest,
  uniqueKey,
  writeTree,
} from './harness.js';
import { type ActionS3, actionS3 } from './lab.js';

describe.skipIf(s3TestsSkipped())('failures through dist/', () => {
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

  const step = (entry: Entry, inputs: Record<string, string>, env: Record<string, string | undefined> = {}) =>
    runStep(entry, {
      workspace: workspace({ 'dir/f': 'x' }),
      inputs: { ...s3.inputs, ...inputs },
      env: { ...s3.env, ...env },
    });

  /** The step failed with exactly one error annotation, on one line. */
  const expectFailed = (result: StepResult, pattern: RegExp) => {
    expect(result.code, result.text).toBe(1);
    expect(result.errors, result.text).toHaveLength(1);
    expect(result.errors[0]).toMatch(pattern);
    expect(result.errors[0]).not.toContain('\n');
  };

  /** The step succeeded with exactly one warning, on one line; a restore reports a miss. */
  const expectWarned = (result: StepResult, pattern: RegExp) => {
    expect(result.code, result.text).toBe(0);
    expect(result.errors, result.text).toEqual([]);
    expect(result.warnings, result.text).toHaveLength(1);
    expect(result.warnings[0]).toMatch(pattern);
    expect(result.warnings[0]).not.toContain('\n');
  };

  describe('invalid inputs fail the step', () => {
    const restoreKeys = Array.from({ length: 10 }, (_, i) => `r${i}-`).join('\n');
    it.each<[string, Entry, Record<string, string>, RegExp]>([
      [
        'a comma in the key',
        'restore',
        { key: 'a,b', path: 'dir' },
        /^Key Validation Error: `key` "a,b" contains a comma, which cache keys cannot\. Replace the comma/,
      ],
      [
        'a comma in a restore key',
        'main',
        { key: 'ab', path: 'dir', 'restore-keys': 'x\ny,z' },
        /restore-keys line 2 "y,z" contains a comma/,
      ],
      [
        'a 513-character key',
        'restore',
        { key: 'k'.repeat(513), path: 'dir' },
        /^Key Validation Error: `key` has 513 characters, more than the 512 allowed .* Shorten it/,
      ],
      [
        'a 513-character key on save',
        'save',
        { key: 'k'.repeat(513), path: 'dir' },
        /`key` has 513 characters/,
      ],
      [
        '11 keys',
        'restore',
        { key: 'k', path: 'dir', 'restore-keys': restoreKeys },
        /^Key Validation Error: at most 10 keys are allowed .* Remove restore-keys/,
      ],
      ['no key', 'save', { path: 'dir' }, /^Input required and not supplied: key\. Set `key:` under `with:`/],
      [
        'an empty path',
        'restore',
        { key: 'k', path: '\n  \n' },
        /^Path Validation Error: at least one directory or file path is required\. Set `path:`/,
      ],
      ['an empty path on save', 'save', { key: 'k', path: '' }, /^Path Validation Error/],
      [
        'no bucket',
        'main',
        { key: 'k', path: 'dir', bucket: '' },
        /^No cache bucket configured: set the `bucket` input or the S3CACHE_BUCKET environment variable\.$/,
      ],
      [
        'a URL as bucket',
        'save',
        { key: 'k', path: 'dir', bucket: 's3://x' },
        /^Invalid bucket "s3:\/\/x": give the bucket name only/,
      ],
      [
        'a malformed endpoint',
        'restore',
        { key: 'k', path: 'dir', endpoint: 'localhost:9000' },
        /^Invalid endpoint .* expected an http\(s\) URL/,
      ],
    ])('%s', async (_, entry, inputs, pattern) => {
      const result = await step(entry, inputs);
      expectFailed(result, pattern);
      expect(result.warnings).toEqual([]);
    });
  });

  describe('store problems are a warning and a miss', () => {
    it('wrong credentials', async () => {
      const env = { AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG0', AWS_SECRET_ACCESS_KEY: 'wrong' };
      const restore = await step('restore', { key: uniqueKey('creds'), path: 'dir' }, env);
      // AWS says InvalidAccessKeyId; Ceph RGW says AccessDenied. Both messages point at the credentials.
      const credentials =
        /^Cache not (restored|saved): (S3 does not know the access key ID this job uses \(InvalidAccessKeyId\)|Access denied to s3:\/\/.* \(AccessDenied\): the job's credentials are wrong or not allowed there); give the job AWS credentials: set `role-to-assume`/;
      expectWarned(restore, credentials);
      expect(restore.outputs['cache-hit']).toBe('false');
      const save = await step('save', { key: uniqueKey('creds'), path: 'dir' }, env);
      expectWarned(save, credentials);
    });

    it('a wrong secret key', async () => {
      const restore = await step(
        'restore',
        { key: uniqueKey('secret'), path: 'dir' },
        { AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      );
      expectWarned(
        restore,
        /(\(SignatureDoesNotMatch\): the secret access key is wrong|\(AccessDenied\): the job's credentials are wrong)/,
      );
    });

    it('no credentials at all', async () => {
      const restore = await step(
        'restore',
        { key: uniqueKey('nocreds'), path: 'dir' },
        { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_EC2_METADATA_DISABLED: 'true' },
      );
      expectWarned(
        restore,
        /^Cache not restored: No AWS credentials were found; give the job AWS credentials/,
      );
    });

    it('no such bucket', async () => {
      const missing = uniqueBucketName('s3cache-missing');
      const restore = await step('restore', { key: uniqueKey('nobucket'), path: 'dir', bucket: missing });
      expectWarned(
        restore,
        new RegExp(
          `^Cache not restored: Bucket "${missing}" does not exist at .* \\(NoSuchBucket\\); check the \`bucket\` input`,
        ),
      );
      expect(restore.outputs['cache-hit']).toBe('false');
      const save = await step('save', { key: uniqueKey('nobucket'), path: 'dir', bucket: missing });
      expectWarned(save, /^Cache not saved: Bucket ".*" does not exist/);
      // fail-on-cache-miss still fails on purpose
      const strict = await step('restore', {
        key: 'k',
        path: 'dir',
        bucket: missing,
        'fail-on-cache-miss': 'true',
      });
      expect(strict.code).toBe(1);
      expect(strict.warnings).toHaveLength(1);
      expect(strict.errors[0]).toMatch(
        /^Failed to restore cache entry\. Exiting as fail-on-cache-miss is set/,
      );
    });

    it('an endpoint nobody listens on', async () => {
      const port = await freePort();
      const restore = await step('restore', { key: 'k', path: 'dir', endpoint: `http://127.0.0.1:${port}` });
      expectWarned(
        restore,
        new RegExp(`^Cache not restored: Cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
      );
    }, 120_000);
  });

  it('settings can come from S3CACHE_* variables; inputs win', async () => {
    const key = uniqueKey('env');
    const {
      bucket: name,
      endpoint,
      region,
    } = s3.inputs as { bucket: string; endpoint: string; region: string };
    const fromEnv = {
      S3CACHE_BUCKET: name,
      S3CACHE_ENDPOINT: endpoint,
      S3CACHE_REGION: region,
      S3CACHE_PREFIX: 'org-prefix',
    };
    const saved = await runStep('save', {
      workspace: workspace({ 'dir/f': 'env' }),
      inputs: { key, path: 'dir' },
      env: { ...s3.env, ...fromEnv },
    });
    expect(saved.code, saved.text).toBe(0);
    expect(saved.log).toContain(
      `Cache store: s3://${name}/org-prefix (region ${region}, endpoint ${endpoint}, default AWS credentials, zstd node:zlib)`,
    );
    const target = workspace();
    const restored = await runStep('restore', {
      workspace: target,
      inputs: { key, path: 'dir', bucket: name, endpoint, prefix: 'org-prefix' },
      env: { ...s3.env, ...fromEnv, S3CACHE_BUCKET: 'some-other-bucket', S3CACHE_PREFIX: 'elsewhere' },
    });
    expect(restored.code, restored.text).toBe(0);
    expect(restored.outputs['cache-hit']).toBe('true');
    expect(Object.keys(treeDigest(target))).toEqual(['dir/f']);
  });

  it('concurrent saves of one key: exactly one wins, the others say so and carry on', async () => {
    const key = uniqueKey('race');
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        runStep('save', {
          workspace: workspace({ 'dir/f': `writer ${i}\n`.repeat(1000) }),
          inputs: { ...s3.inputs, key, path: 'dir', 'use-deltas': 'false' },
          env: s3.env,
        }),
      ),
    );
    for (const r of results) {
      expect(r.code, r.text).toBe(0);
      expect(r.warnings, r.text).toEqual([]);
    }
    const winners = results.filter((r) => r.log.includes(`Cache saved with key: ${key}`));
    const losers = results.filter((r) =>
      r.log.includes(
        `Cache not saved: an entry with key ${key} already exists (another job may be creating this cache); first write wins.`,
      ),
    );
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(3);
    for (const loser of losers) expect(loser.summary).toContain('<td>exists</td>');

    // The entry holds the winner's content, whole.
    const target = workspace();
    const restored = await runStep('restore', {
      workspace: target,
      inputs: { ...s3.inputs, key, path: 'dir' },
      env: s3.env,
    });
    expect(restored.outputs['cache-hit']).toBe('true');
    const winner = results.indexOf(winners[0] as StepResult) + 1;
    expect(treeDigest(target)).toEqual(
      treeDigest(writeAndReturn({ 'dir/f': `writer ${winner}\n`.repeat(1000) })),
    );
  });

  it('clearing without permission to delete warns and restores anyway', async () => {
    const key = uniqueKey('denied');
    const saved = await step('save', { key, path: 'dir' });
    expect(saved.code, saved.text).toBe(0);
    await whileDenied(bucket, 's3:DeleteObject', async () => {
      const result = await step('restore', { key, path: 'dir', 'clear-cache': 'true' });
      expectWarned(
        result,
        /^Cannot clear cache entry ".*": this job's credentials may not delete it \(AccessDenied\); grant s3:DeleteObject .* Restoring without clearing\.$/,
      );
      expect(result.outputs['cache-hit']).toBe('true');
    });
  });

  function writeAndReturn(files: Record<string, string>): string {
    return workspace(files);
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
