import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket, createTestS3Client, s3TestsSkipped } from '@s3cache/testkit';
import { describe, expect, it } from 'vitest';
import { createJsonLogger, JanitorConfigError, readConfig, readEvent, runHandler } from '../src/index.js';

describe('readConfig', () => {
  it('reads bucket, prefix, policy and switches', () => {
    const config = readConfig({
      S3CACHE_BUCKET: 'my-cache',
      S3CACHE_PREFIX: 'team/',
      S3CACHE_POLICY:
        '{"repositories":{"Acme/App":{"capBytes":"20GiB"}},"bucketCapBytes":"1TiB","maxIdleDays":3}',
      S3CACHE_DRY_RUN: 'true',
      S3CACHE_LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      bucket: 'my-cache',
      prefix: 'team/',
      dryRun: true,
      logLevel: 'debug',
      endpoint: undefined,
    });
    expect(config.policy).toMatchObject({
      repositories: { 'acme/app': { capBytes: 20 * 1024 ** 3 } },
      bucketCapBytes: 1024 ** 4,
      maxIdleDays: 3,
      graceMinutes: 60,
    });
  });

  it('applies policy defaults when S3CACHE_POLICY is absent', () => {
    expect(readConfig({ S3CACHE_BUCKET: 'my-cache' })).toMatchObject({
      prefix: '',
      dryRun: false,
      policy: { maxIdleDays: 7 },
    });
  });

  it.each([
    [{}, /S3CACHE_BUCKET is not set/],
    [{ S3CACHE_BUCKET: 'Bad_Bucket' }, /S3CACHE_BUCKET is not a valid bucket name/],
    [{ S3CACHE_BUCKET: 'b-1', S3CACHE_POLICY: '{maxIdleDays: 3}' }, /S3CACHE_POLICY is not valid JSON/],
    [{ S3CACHE_BUCKET: 'b-1', S3CACHE_POLICY: '{"maxIdleDays":-3}' }, /Invalid S3CACHE_POLICY: maxIdleDays/],
    [{ S3CACHE_BUCKET: 'b-1', S3CACHE_POLICY: '{"capBytes":1}' }, /Invalid S3CACHE_POLICY: .*capBytes/],
    [{ S3CACHE_BUCKET: 'b-1', S3CACHE_LOG_LEVEL: 'loud' }, /S3CACHE_LOG_LEVEL must be one of/],
    [{ S3CACHE_BUCKET: 'b-1', S3CACHE_ENDPOINT: 'not a url' }, /S3CACHE_ENDPOINT is not a URL/],
  ])('rejects %j', (env, message) => {
    expect(() => readConfig(env)).toThrow(JanitorConfigError);
    expect(() => readConfig(env)).toThrow(message);
  });
});

describe('readEvent', () => {
  it('takes dryRun from the event, ignores other payloads', () => {
    expect(readEvent({ dryRun: true })).toEqual({ dryRun: true });
    expect(readEvent({ 'detail-type': 'Scheduled Event' })).toEqual({ dryRun: undefined });
    expect(readEvent(undefined)).toEqual({ dryRun: undefined });
    expect(() => readEvent({ dryRun: 'yes' })).toThrow(JanitorConfigError);
  });
});

describe('runHandler', () => {
  it('logs one JSON error line and throws on bad configuration, before creating a client', async () => {
    const lines: string[] = [];
    let created = 0;
    await expect(
      runHandler(
        {},
        {},
        {
          env: { S3CACHE_BUCKET: 'b-1', S3CACHE_POLICY: '[' },
          log: createJsonLogger({ write: (l) => lines.push(l) }),
          createClient: () => {
            created++;
            throw new Error('unreachable');
          },
        },
      ),
    ).rejects.toThrow(JanitorConfigError);
    expect(created).toBe(0);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'invalid configuration',
        error: expect.objectContaining({ name: 'JanitorConfigError' }),
      }),
    ]);
  });

  it.skipIf(s3TestsSkipped())(
    'runs against S3 with an injected client: report, JSON logs and EMF',
    async () => {
      const client = createTestS3Client();
      const bucket = await createTestBucket({ client });
      try {
        const version = 'd'.repeat(64);
        const dir = `cache/acme/app/heads/main/${version}/k/`;
        for (const [key, body] of [
          [`${dir}manifest.json`, '{}'],
          [`${dir}packs/p.pack`, 'x'.repeat(100)],
          [`cache/acme/app/access/heads/main/${version}/gone`, '{}'],
        ] as const) {
          await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: body }));
        }
        const logs: string[] = [];
        const metrics: string[] = [];
        const deps = {
          env: {
            S3CACHE_BUCKET: bucket.name,
            S3CACHE_PREFIX: 'cache',
            S3CACHE_POLICY: JSON.stringify({ maxIdleDays: 30 }),
          },
          createClient: () => client,
          log: createJsonLogger({ write: (l: string) => logs.push(l) }),
          emit: (l: string) => metrics.push(l),
          now: () => new Date(Date.now() + 2 * 86_400_000),
        };
        const dry = await runHandler({ dryRun: true }, { awsRequestId: 'r-1' }, deps);
        expect(dry).toMatchObject({ dryRun: true, totals: { objectsDeleted: 1, entriesAfter: 1 } });
        expect(metrics).toEqual([]);

        const report = await runHandler({}, { getRemainingTimeInMillis: () => 900_000 }, deps);
        expect(report).toMatchObject({
          dryRun: false,
          location: `s3://${bucket.name}`,
          prefix: 'cache/',
          totals: { objectsDeleted: 1, bytesBefore: 104, bytesAfter: 102, failures: 0 },
          listing: { objects: 3, repositoryPrefixes: 1, entries: 1 },
        });
        expect(report.byReason['orphan-marker'].objects).toBe(1);
        expect(report.reportKey).toMatch(/^cache\/_s3cache\/reports\//);
        for (const line of logs) expect(() => JSON.parse(line)).not.toThrow();
        expect(logs.map((l) => JSON.parse(l).message)).toContain('janitor finished');
        const emf = metrics.map((l) => JSON.parse(l));
        expect(emf[0]).toMatchObject({ Bucket: bucket.name, Prefix: 'cache', ObjectsDeleted: 1 });
        expect(emf[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Bucket', 'Prefix']]);
        expect(emf[1]).toMatchObject({ Reason: 'orphan-marker', ObjectsDeleted: 1 });
        expect(emf[1]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Bucket', 'Prefix', 'Reason']]);
      } finally {
        await bucket.cleanup();
      }
    },
    60_000,
  );
});
