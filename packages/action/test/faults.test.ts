// The bundled action (dist/) against the real S3 behind a fault-injecting proxy (the `endpoint`
// input points at the proxy): whatever S3 does — errors, resets, stalls, flipped bytes, hostile
// entries, refused writes, expired credentials, another region — the job never fails except for
// validation and fail-on-cache-miss, nothing wrong lands on disk, and every step ends in bounded
// time with a one-line warning naming the cause and the fix.
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { defaultCodec, entryVersion, FORMAT, Layout, type Manifest, serializeManifest } from '@s3cache/core';
import {
  createTestBucket,
  type FaultPlan,
  type FaultProxy,
  s3TestsSkipped,
  startFaultProxy,
  type TestBucket,
  whileDenied,
} from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Entry,
  randomContent,
  runStep,
  type StepResult,
  tempDir,
  treeDigest,
  uniqueKey,
  writeTree,
} from './harness.js';
import { type ActionS3, actionS3 } from './lab.js';

const PACK_GET = { method: 'GET', path: /\.pack(\?x-id=GetObject)?$/ } as const;
const MANIFEST_PUT = { method: 'PUT', path: /\/manifest\.json\?/ } as const;

describe.skipIf(s3TestsSkipped())('the action under injected faults (dist/ through a fault proxy)', () => {
  let bucket: TestBucket;
  let s3: ActionS3;
  let proxy: FaultProxy;
  const dirs: string[] = [];
  const files = {
    'dir/a.bin': randomContent(700_000),
    'dir/nested/b.txt': 'hello\n'.repeat(20_000),
    'dir/c.bin': randomContent(300_000),
  };
  let source: string;
  let sourceDigest: Record<string, string>;

  beforeAll(async () => {
    bucket = await createTestBucket({ prefix: 's3cache-action-faults' });
    s3 = actionS3(bucket.name);
    proxy = await startFaultProxy({ target: s3.inputs.endpoint as string, maxLifetimeMs: 15 * 60_000 });
    source = workspace(files);
    sourceDigest = treeDigest(source);
  });
  afterAll(async () => {
    await proxy?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await bucket?.cleanup();
  });

  function workspace(content: Record<string, string | Buffer> = {}): string {
    const dir = tempDir('faults-ws');
    dirs.push(dir);
    writeTree(dir, content);
    return dir;
  }

  /** A step through the proxy with `plan`; returns the result and its wall time. */
  async function step(
    entry: Entry,
    ws: string,
    inputs: Record<string, string>,
    plan: FaultPlan = { rules: [] },
    env: Record<string, string | undefined> = {},
  ): Promise<{ result: StepResult; ms: number; injected: number }> {
    proxy.setPlan(plan);
    const t0 = performance.now();
    const result = await runStep(entry, {
      workspace: ws,
      inputs: { ...s3.inputs, endpoint: proxy.url, ...inputs },
      env: { ...s3.env, ...env },
    });
    const injected = proxy.injections();
    proxy.setPlan({ rules: [] });
    return { result, ms: performance.now() - t0, injected };
  }

  /** Saved without faults, directly: an entry to restore. */
  async function seed(key: string): Promise<void> {
    const { result } = await step('save', source, { key, path: 'dir' });
    expect(result.code, result.text).toBe(0);
    expect(result.log, result.text).toContain(`Cache saved with key: ${key}`);
  }

  /** The job goes on: exit 0, no error annotation, exactly one one-line warning matching `warning`. */
  function expectWarned(result: StepResult, warning: RegExp): void {
    expect(result.code, result.text).toBe(0);
    expect(result.errors, result.text).toEqual([]);
    expect(result.warnings, result.text).toHaveLength(1);
    expect(result.warnings[0]).toMatch(warning);
    expect(result.warnings[0]).not.toContain('\n');
  }

  /** What is on disk is either the source tree exactly (a hit) or a subset of it (a miss). */
  function expectNoWrongBytes(target: string, hit: boolean): void {
    const got = treeDigest(target);
    if (hit) {
      expect(got).toEqual(sourceDigest);
      return;
    }
    for (const [name, hash] of Object.entries(got)) expect(sourceDigest[name], name).toBe(hash);
  }

  async function manifests(): Promise<string[]> {
    const out = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.name }));
    return (out.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('/manifest.json'));
  }

  it('a pack GET reset mid-body is retried: a verified hit', async () => {
    const key = uniqueKey('reset');
    await seed(key);
    const target = workspace();
    const { result, ms, injected } = await step(
      'restore',
      target,
      { key, path: 'dir' },
      {
        rules: [{ ...PACK_GET, nth: 1, fault: { kind: 'reset' } }],
      },
    );
    expect(injected).toBe(1);
    expect(result.code, result.text).toBe(0);
    expect(result.warnings, result.text).toEqual([]);
    expect(result.outputs['cache-hit']).toBe('true');
    expectNoWrongBytes(target, true);
    expect(ms).toBeLessThan(60_000);
  });

  it('S3 answering 500 to everything: a warning and a miss, the job goes on', async () => {
    const key = uniqueKey('500');
    await seed(key);
    const target = workspace();
    const { result, ms } = await step(
      'restore',
      target,
      { key, path: 'dir' },
      {
        rules: [{ fault: { kind: 'status', status: 500 } }],
      },
    );
    expectWarned(
      result,
      /^Cache not restored: S3 at http:\/\/127\.0\.0\.1:\d+ failed with HTTP 500 .*re-run the job\.$/,
    );
    expect(result.outputs['cache-hit']).toBe('false');
    expectNoWrongBytes(target, false);
    expect(ms).toBeLessThan(90_000);
  });

  it('flipped pack bytes on every GET: a warning naming the damage, no wrong byte on disk', async () => {
    const key = uniqueKey('flip');
    await seed(key);
    const target = workspace();
    const { result } = await step(
      'restore',
      target,
      { key, path: 'dir' },
      {
        rules: [{ ...PACK_GET, fault: { kind: 'corrupt', flips: 3 } }],
      },
    );
    expectWarned(
      result,
      /^Cache not restored: The cache entry is damaged or incomplete \(.*\); it is ignored\./,
    );
    expect(result.outputs['cache-hit']).toBe('false');
    expectNoWrongBytes(target, false);
  });

  it('a stalled download ends at SEGMENT_DOWNLOAD_TIMEOUT_MINS as a warning and a miss', async () => {
    const key = uniqueKey('stall');
    await seed(key);
    const target = workspace();
    const { result, ms } = await step(
      'restore',
      target,
      { key, path: 'dir' },
      { rules: [{ ...PACK_GET, fault: { kind: 'stall', ms: 120_000, phase: 'body' } }] },
      { SEGMENT_DOWNLOAD_TIMEOUT_MINS: '0.05' },
    );
    expectWarned(
      result,
      /^Cache not restored: The transfer timed out \(download exceeded 3 s\); raise SEGMENT_DOWNLOAD_TIMEOUT_MINS/,
    );
    expectNoWrongBytes(target, false);
    expect(ms, 'bounded by the 3 s deadline plus start-up').toBeLessThan(30_000);
  });

  it('fail-on-cache-miss still fails the job on purpose when faults cause the miss', async () => {
    const key = uniqueKey('strict');
    await seed(key);
    const { result } = await step(
      'restore',
      workspace(),
      { key, path: 'dir', 'fail-on-cache-miss': 'true' },
      {
        rules: [{ ...PACK_GET, fault: { kind: 'status', status: 404 } }],
      },
    );
    expect(result.code, result.text).toBe(1);
    expect(result.errors[0]).toMatch(/^Failed to restore cache entry\. Exiting as fail-on-cache-miss is set/);
  });

  it('503 SlowDown on every manifest PUT: the save warns, the job goes on, no entry appears', async () => {
    const key = uniqueKey('slow');
    const { result, ms } = await step(
      'save',
      source,
      { key, path: 'dir' },
      {
        rules: [{ ...MANIFEST_PUT, fault: { kind: 'status', status: 503 } }],
      },
    );
    expectWarned(result, /^Cache not saved: S3 at .* failed with HTTP 503 .*re-run the job\.$/);
    expect((await manifests()).filter((k) => k.includes(`/${key}/`))).toEqual([]);
    expect(ms).toBeLessThan(120_000);
  });

  it('a manifest PUT whose answer is lost after S3 wrote it still reports a saved, complete entry', async () => {
    const key = uniqueKey('lost');
    const { result } = await step(
      'save',
      source,
      { key, path: 'dir' },
      {
        rules: [{ ...MANIFEST_PUT, nth: 1, fault: { kind: 'reset', at: 'headers' } }],
      },
    );
    expect(result.code, result.text).toBe(0);
    expect(result.warnings, result.text).toEqual([]);
    expect(result.log, result.text).toContain(`Cache saved with key: ${key}`);
    const target = workspace();
    const { result: restored } = await step('restore', target, { key, path: 'dir' });
    expect(restored.outputs['cache-hit'], restored.text).toBe('true');
    expectNoWrongBytes(target, true);
  });

  it('the combined action survives faults in both steps', async () => {
    const key = uniqueKey('combined');
    const ws = workspace(files);
    const main = await step(
      'main',
      ws,
      { key, path: 'dir' },
      {
        rules: [{ probability: 0.3, fault: { kind: 'status', status: 503 } }],
        seed: 9,
      },
    );
    expect(main.result.code, main.result.text).toBe(0);
    // The save's 2nd and 4th requests fail once each (a listing, an upload, a manifest PUT...).
    proxy.setPlan({ rules: [{ nth: [2, 4], fault: { kind: 'status', status: 503 } }] });
    const post = await runStep('post', {
      workspace: ws,
      inputs: { ...s3.inputs, endpoint: proxy.url, key, path: 'dir' },
      env: s3.env,
      state: main.result.state,
    });
    const injected = proxy.injections();
    proxy.setPlan({ rules: [] });
    expect(post.code, post.text).toBe(0);
    expect(post.errors).toEqual([]);
    expect(injected, 'faults reached the post step').toBe(2);
    expect(post.log, post.text).toContain(`Cache saved with key: ${key}`);
  });

  describe('configuration problems a fault proxy can stand in for', () => {
    it('another region (AuthorizationHeaderMalformed, as AWS answers a request signed for the wrong region)', async () => {
      const { result } = await step(
        'restore',
        workspace(),
        { key: uniqueKey('region'), path: 'dir', region: 'eu-west-1' },
        {
          rules: [
            {
              fault: {
                kind: 'status',
                status: 400,
                code: 'AuthorizationHeaderMalformed',
                message:
                  "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
              },
            },
          ],
        },
      );
      expectWarned(
        result,
        /^Cache not restored: Bucket ".*" is in another region than eu-west-1; set `region` \(or S3CACHE_REGION\) to the bucket's region\.$/,
      );
    });

    it('another region (301 PermanentRedirect)', async () => {
      const { result } = await step(
        'save',
        source,
        { key: uniqueKey('redirect'), path: 'dir', region: 'eu-west-1' },
        {
          rules: [
            {
              fault: {
                kind: 'status',
                status: 301,
                code: 'PermanentRedirect',
                message:
                  'The bucket you are attempting to access must be addressed using the specified endpoint.',
              },
            },
          ],
        },
      );
      expectWarned(result, /^Cache not saved: Bucket ".*" is in another region than eu-west-1; set `region`/);
    });

    it('expired session credentials (ExpiredToken)', async () => {
      const { result } = await step(
        'restore',
        workspace(),
        { key: uniqueKey('expired'), path: 'dir' },
        {
          rules: [
            {
              fault: {
                kind: 'status',
                status: 400,
                code: 'ExpiredToken',
                message: 'The provided token has expired.',
              },
            },
          ],
        },
        { AWS_SESSION_TOKEN: 'expired-session-token' },
      );
      expectWarned(
        result,
        /^Cache not restored: The AWS session token has expired \(ExpiredToken\); obtain fresh credentials/,
      );
    });
  });

  it('a write refused by policy (as for a pull-request role): the save warns, the job goes on', async () => {
    const key = uniqueKey('denied');
    await whileDenied(bucket, 's3:PutObject', async () => {
      const { result } = await step('save', source, { key, path: 'dir' });
      expectWarned(
        result,
        /^Cache not saved: Access denied to s3:\/\/.* \(AccessDenied\): the job's credentials are wrong or not allowed there; .*s3:PutObject/,
      );
      expect((await manifests()).filter((k) => k.includes(`/${key}/`))).toEqual([]);
    });
  });

  describe('hostile entries restored by the bundled action (node:zlib codec)', () => {
    // The version the action computes for `path: dir` (entryVersion, as restore-impl does).
    const version = entryVersion(['dir']);

    async function plant(key: string, raw: Buffer, tamper?: (m: Manifest) => void) {
      const layout = new Layout();
      const entryDir = layout.entryDir({ repository: 'acme/app', scope: 'refs/heads/main', version, key });
      const frame = await defaultCodec().compress(raw, 3);
      const now = new Date().toISOString();
      const manifest: Manifest = {
        format: FORMAT,
        kind: 'base',
        id: 'planted',
        repository: 'acme/app',
        scope: 'refs/heads/main',
        version,
        key,
        createdAt: now,
        paths: ['dir'],
        compression: 'zstd',
        rawBytes: raw.length,
        items: 1,
        packs: [{ id: 'planted', type: 'base', bytes: frame.length, createdAt: now }],
        chunks: [[createHash('sha256').update(raw).digest('hex'), raw.length, 0, 0, frame.length]],
      };
      tamper?.(manifest);
      const put = (Key: string, Body: Buffer) =>
        bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key, Body }));
      await put(layout.packKey(entryDir, 'planted'), frame);
      await put(layout.manifestKey(entryDir), serializeManifest(manifest));
    }

    /** A one-file POSIX tar, written by hand (as an attacker would): header, body, end-of-archive. */
    function archive(name: string, body: string): Buffer {
      const header = Buffer.alloc(512);
      const field = (offset: number, length: number, value: string) =>
        header.write(value, offset, length, 'latin1');
      const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, '0')}\0`;
      field(0, 100, name);
      field(100, 8, octal(0o644, 8));
      field(108, 8, octal(0, 8));
      field(116, 8, octal(0, 8));
      field(124, 12, octal(Buffer.byteLength(body), 12));
      field(136, 12, octal(1_600_000_000, 12));
      field(148, 8, '        ');
      field(156, 1, '0');
      field(257, 6, 'ustar\0');
      field(263, 2, '00');
      let sum = 0;
      for (const byte of header) sum += byte;
      field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
      const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
      data.write(body);
      return Buffer.concat([header, data, Buffer.alloc(1024)]);
    }

    it('path traversal: a warning naming the member, nothing written outside the workspace', async () => {
      const key = uniqueKey('traversal');
      await plant(key, archive('../escaped-by-s3cache-test', 'pwned'));
      const target = workspace();
      const { result } = await step('restore', target, { key, path: 'dir' });
      expectWarned(
        result,
        /unsafe archive member "\.\.\/escaped-by-s3cache-test": path uses '\.\.' to leave the cache paths/,
      );
      expect(existsSync(path.join(target, '..', 'escaped-by-s3cache-test'))).toBe(false);
      expect(result.outputs['cache-hit']).toBe('false');
    });

    it('a frame that decodes beyond its declared size: a warning naming the damage', async () => {
      const key = uniqueKey('oversize');
      const raw = Buffer.alloc(64 * 1024, 0x42);
      await plant(key, raw, (m) => {
        const chunk = m.chunks[0] as Manifest['chunks'][number];
        chunk[1] = 1024;
        chunk[0] = createHash('sha256').update(raw.subarray(0, 1024)).digest('hex');
        m.rawBytes = 1024;
      });
      const target = workspace();
      const { result } = await step('restore', target, { key, path: 'dir' });
      // Refused by the frame header when it declares its size; otherwise by the decoder's output
      // limit (one-shot codecs) or by the size check after decoding (pooled node:zlib streams,
      // whose output the frame's block headers bound before decoding starts).
      expectWarned(
        result,
        /^Cache not restored: The cache entry is damaged or incomplete \((zstd frame (declares 65536 bytes, manifest says 1024|does not decode to the 1024 bytes promised: .*)|chunk decompressed to 65536 bytes, expected 1024)\); it is ignored\./,
      );
      expect(treeDigest(target)).toEqual({});
    });
  });
});
