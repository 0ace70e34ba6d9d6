import {
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import { createTestBucket, s3TestConfig, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleExample, tlsPolicyFor } from '../src/doctor/checks.js';
import type { AccountPublicAccessReader, CheckResult } from '../src/index.js';
import { run, tempDir, testAwsFactory } from './harness.js';

interface DoctorJson {
  ok: boolean;
  summary: { ok: number; warn: number; fail: number };
  checks: CheckResult[];
}

const status = (doc: DoctorJson) => Object.fromEntries(doc.checks.map((c) => [c.id, c.status]));
const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

describe('doctor without S3', () => {
  it('refuses a directory store with exit 2', async () => {
    const dir = await tempDir();
    try {
      const result = await run(['doctor', '--store', dir.path]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('doctor checks an S3 bucket');
    } finally {
      await dir.cleanup();
    }
  });
});

describe.skipIf(s3TestsSkipped())('doctor on the local S3 (Ceph RGW)', () => {
  let aws: ReturnType<typeof testAwsFactory>;
  let bad: TestBucket;
  let good: TestBucket;

  beforeAll(async () => {
    aws = testAwsFactory();
    bad = await createTestBucket({ client: aws.client });
    good = await createTestBucket({ client: aws.client });
    // Misconfigured: versioning on, no lifecycle, no policy, public access block left open.
    await aws.client.send(
      new PutBucketVersioningCommand({ Bucket: bad.name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    // Configured as doctor's own fixes say (which also proves RGW accepts them).
    await aws.client.send(
      new PutPublicAccessBlockCommand({ Bucket: good.name, PublicAccessBlockConfiguration: ALL_ON }),
    );
    await aws.client.send(new PutBucketPolicyCommand({ Bucket: good.name, Policy: tlsPolicyFor(good.name) }));
    await aws.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: good.name,
        LifecycleConfiguration: JSON.parse(lifecycleExample('cache')),
      }),
    );
  });
  afterAll(async () => {
    await bad?.cleanup();
    await good?.cleanup();
    aws?.client.destroy();
  });

  const doctor = (bucket: string, extra: string[] = [], reader?: AccountPublicAccessReader) =>
    run(['--store', `s3://${bucket}/cache`, '--endpoint', s3TestConfig().endpoint, ...extra, 'doctor'], {
      aws,
      ...(reader ? { accountPublicAccess: reader } : {}),
    });

  it('catches a misconfigured bucket: no TLS policy, no lifecycle, versioning enabled (exit 1)', async () => {
    const result = await doctor(bad.name, ['--json']);
    expect(result.code).toBe(1);
    const doc = result.json<DoctorJson>();
    expect(doc.ok).toBe(false);
    expect(status(doc)).toMatchObject({
      bucket: 'ok',
      'public-access-bucket': 'fail',
      'tls-only': 'fail',
      lifecycle: 'fail',
      versioning: 'fail',
    });
    const human = await doctor(bad.name);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /FAIL {2}TLS-only bucket policy\n +no statement denies|FAIL {2}TLS-only bucket policy\n +the bucket has no policy/,
    );
    expect(human.stdout).toContain(`fix: aws s3api put-bucket-versioning --bucket ${bad.name}`);
    expect(human.stdout).toMatch(/\d+ failed, \d+ warnings?, \d+ ok/);
  });

  it('passes every check RGW can express on a well-configured bucket; the rest are warnings (exit 0)', async () => {
    const result = await doctor(good.name, ['--json']);
    const doc = result.json<DoctorJson>();
    expect(status(doc)).toEqual({
      bucket: 'ok',
      'public-access-bucket': 'ok',
      // S3 Control is AWS-only: the default reader cannot check against RGW.
      'public-access-account': 'warn',
      'tls-only': 'ok',
      'lifecycle-delta': 'ok',
      'lifecycle-base': 'ok',
      'lifecycle-abort': 'ok',
      'lifecycle-mixed': 'ok',
      // RGW 16 implements neither bucket default encryption nor ownership controls.
      encryption: 'warn',
      'object-ownership': 'warn',
      versioning: 'ok',
    });
    expect(doc.checks.find((c) => c.id === 'public-access-account')?.detail).toContain(
      'cannot check on this endpoint',
    );
    expect(result.code).toBe(0);
  });

  it('uses the injected account-level reader: blocked is ok, unconfigured is a warning with the fix', async () => {
    const requests: unknown[] = [];
    const blocked: AccountPublicAccessReader = async (request) => {
      requests.push(request);
      return { status: 'found', accountId: '123456789012', config: ALL_ON };
    };
    const okDoc = (await doctor(good.name, ['--json', '--region', 'eu-west-1'], blocked)).json<DoctorJson>();
    expect(status(okDoc)['public-access-account']).toBe('ok');
    expect(requests).toEqual([
      {
        settings: { endpoint: s3TestConfig().endpoint, region: 'eu-west-1', profile: undefined },
        accountId: undefined,
      },
    ]);

    const open: AccountPublicAccessReader = async () => ({
      status: 'not-configured',
      accountId: '123456789012',
    });
    const openDoc = (await doctor(good.name, ['--json'], open)).json<DoctorJson>();
    const account = openDoc.checks.find((c) => c.id === 'public-access-account');
    expect(account).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('--account-id 123456789012'),
    });
  });

  it('passes --account-id through and validates it', async () => {
    let seen: string | undefined;
    const reader: AccountPublicAccessReader = async ({ accountId }) => {
      seen = accountId;
      return { status: 'unavailable', reason: 'x' };
    };
    await doctor(good.name, ['--json'], reader).then(() => undefined);
    expect(seen).toBeUndefined();
    const withId = await run(
      [
        '--store',
        `s3://${good.name}/cache`,
        '--endpoint',
        s3TestConfig().endpoint,
        'doctor',
        '--account-id',
        '123456789012',
      ],
      { aws, accountPublicAccess: reader },
    );
    expect(withId.code).toBe(0);
    expect(seen).toBe('123456789012');
    const invalid = await run(['--store', `s3://${good.name}`, 'doctor', '--account-id', 'abc'], { aws });
    expect(invalid.code).toBe(2);
  });

  it('fails lifecycle rules that do not cover the store prefix', async () => {
    const result = await run(['--store', `s3://${good.name}/elsewhere`, '--json', 'doctor'], { aws });
    expect(result.code).toBe(1);
    expect(status(result.json<DoctorJson>())).toMatchObject({
      'lifecycle-delta': 'fail',
      'lifecycle-base': 'fail',
    });
  });

  it('fails clearly for a bucket that does not exist', async () => {
    const result = await doctor(`${good.name}-missing`);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL  Bucket reachable');
  });
});
