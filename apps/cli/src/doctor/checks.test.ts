import type { LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  type BucketFacts,
  type CheckResult,
  lifecycleExample,
  runChecks,
  summarize,
  tlsPolicyFor,
} from './checks.js';

const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const ok = <T>(value: T) => ({ ok: true as const, value });
const err = (kind: 'not-found' | 'unsupported' | 'denied' | 'error', code: string) => ({
  ok: false as const,
  error: { kind, code, message: code },
});

/** A bucket configured as the CDK stack configures it. */
function healthy(prefix = ''): BucketFacts {
  return {
    bucket: 'cache-bucket',
    prefix,
    reachable: ok(true as const),
    publicAccessBlock: ok(ALL_ON),
    account: { status: 'found', accountId: '123456789012', config: ALL_ON },
    policy: ok(tlsPolicyFor('cache-bucket')),
    lifecycle: ok((JSON.parse(lifecycleExample(prefix)) as { Rules: LifecycleRule[] }).Rules),
    encryption: ok([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]),
    versioning: ok({ status: undefined }),
    ownership: ok([{ ObjectOwnership: 'BucketOwnerEnforced' }]),
  };
}

const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));

describe('doctor checks', () => {
  it('passes a bucket configured like the CDK stack, with and without a store prefix', () => {
    for (const prefix of ['', 'team/cache']) {
      const results = runChecks(healthy(prefix));
      expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
      expect(results.map((r) => r.id)).toEqual([
        'bucket',
        'public-access-bucket',
        'public-access-account',
        'tls-only',
        'lifecycle-delta',
        'lifecycle-base',
        'lifecycle-abort',
        'lifecycle-mixed',
        'encryption',
        'versioning',
        'object-ownership',
      ]);
    }
  });

  it('stops at an unreachable bucket', () => {
    const results = runChecks({ ...healthy(), reachable: err('denied', 'AccessDenied') });
    expect(results).toEqual([
      expect.objectContaining({
        id: 'bucket',
        status: 'fail',
        detail: expect.stringContaining('access denied'),
      }),
    ]);
  });

  it('fails public access settings that are off or missing, with the command that fixes them', () => {
    const partial = byId(
      runChecks({ ...healthy(), publicAccessBlock: ok({ ...ALL_ON, RestrictPublicBuckets: false }) }),
    );
    expect(partial['public-access-bucket']).toMatchObject({
      status: 'fail',
      detail: 'off: RestrictPublicBuckets',
    });
    expect(partial['public-access-bucket']?.fix).toContain(
      'aws s3api put-public-access-block --bucket cache-bucket',
    );
    const missing = byId(
      runChecks({
        ...healthy(),
        publicAccessBlock: err('not-found', 'NoSuchPublicAccessBlockConfiguration'),
      }),
    );
    expect(missing['public-access-bucket']?.status).toBe('fail');
  });

  it('warns about the account-level block, which other buckets may need off', () => {
    const none = byId(
      runChecks({ ...healthy(), account: { status: 'not-configured', accountId: '123456789012' } }),
    );
    expect(none['public-access-account']).toMatchObject({ status: 'warn' });
    expect(none['public-access-account']?.fix).toContain(
      's3control put-public-access-block --account-id 123456789012',
    );
    const partial = byId(
      runChecks({
        ...healthy(),
        account: { status: 'found', accountId: '1', config: { ...ALL_ON, BlockPublicAcls: false } },
      }),
    );
    expect(partial['public-access-account']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('BlockPublicAcls'),
    });
    const unavailable = byId(
      runChecks({
        ...healthy(),
        account: { status: 'unavailable', reason: 'cannot check on this endpoint' },
      }),
    );
    expect(unavailable['public-access-account']).toMatchObject({
      status: 'warn',
      detail: 'cannot check on this endpoint',
    });
  });

  it('recognises TLS-only policies in their usual spellings', () => {
    const statement = (extra: Record<string, unknown>) =>
      ok(JSON.stringify({ Statement: { Effect: 'Deny', Principal: '*', Action: ['s3:*'], ...extra } }));
    const tls = (policy: BucketFacts['policy']) => byId(runChecks({ ...healthy(), policy }))['tls-only'];
    expect(tls(statement({ Condition: { Bool: { 'aws:SecureTransport': false } } }))?.status).toBe('ok');
    expect(
      tls(statement({ Condition: { BoolIfExists: { 'AWS:SecureTransport': ['false'] } } }))?.status,
    ).toBe('ok');
    expect(tls(statement({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))?.status).toBe('fail');
    expect(
      tls(
        statement({
          Principal: { AWS: 'arn:aws:iam::1:root' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      )?.status,
    ).toBe('warn');
    expect(tls(err('not-found', 'NoSuchBucketPolicy'))).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('DenyInsecureTransport'),
    });
    expect(tls(ok('{not json'))?.status).toBe('fail');
  });

  it('reports a missing lifecycle configuration as one failure', () => {
    const results = runChecks({ ...healthy(), lifecycle: err('not-found', 'NoSuchLifecycleConfiguration') });
    const lifecycle = results.filter((r) => r.id.startsWith('lifecycle'));
    expect(lifecycle).toEqual([expect.objectContaining({ id: 'lifecycle', status: 'fail' })]);
    expect(lifecycle[0]?.fix).toContain('expire-delta-archives');
  });

  it('checks each lifecycle rule: expirations, abort alone and unfiltered, no mixing', () => {
    const rules: LifecycleRule[] = [
      {
        ID: 'd',
        Status: 'Disabled',
        Filter: { Tag: { Key: 'type', Value: 'delta-archive' } },
        Expiration: { Days: 7 },
      },
      {
        ID: 'b',
        Status: 'Enabled',
        Filter: { Tag: { Key: 'type', Value: 'base' } },
        Expiration: { Days: 30 },
      },
      {
        ID: 'mixed',
        Status: 'Enabled',
        Filter: { And: { Prefix: '', Tags: [{ Key: 'type', Value: 'base' }] } },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ];
    const results = byId(runChecks({ ...healthy(), lifecycle: ok(rules) }));
    expect(results['lifecycle-delta']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('Disabled'),
    });
    expect(results['lifecycle-base']).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('30 days'),
    });
    expect(results['lifecycle-abort']?.status).toBe('fail');
    expect(results['lifecycle-mixed']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('"mixed"'),
    });
  });

  it('warns when deltas outlive bases or the abort rule also expires everything', () => {
    const rules: LifecycleRule[] = [
      {
        Status: 'Enabled',
        Filter: { Tag: { Key: 'type', Value: 'delta-archive' } },
        Expiration: { Days: 40 },
      },
      { Status: 'Enabled', Filter: { Tag: { Key: 'type', Value: 'base' } }, Expiration: { Days: 30 } },
      {
        Status: 'Enabled',
        Prefix: '',
        Expiration: { Days: 90 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
      },
    ];
    const results = byId(runChecks({ ...healthy(), lifecycle: ok(rules) }));
    expect(results['lifecycle-order']?.status).toBe('warn');
    expect(results['lifecycle-abort']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('#3'),
    });
  });

  it('requires tag rules to cover the store prefix (RGW reports And filters flattened)', () => {
    const rules: LifecycleRule[] = [
      {
        Status: 'Enabled',
        Filter: { Prefix: 'other/', Tag: { Key: 'type', Value: 'delta-archive' } },
        Expiration: { Days: 7 },
      },
      {
        Status: 'Enabled',
        Filter: { Prefix: 'cache/', Tag: { Key: 'type', Value: 'base' } },
        Expiration: { Days: 30 },
      },
      { Status: 'Enabled', Prefix: '', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ];
    const results = byId(runChecks({ ...healthy('cache'), lifecycle: ok(rules) }));
    expect(results['lifecycle-delta']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('cache/'),
    });
    expect(results['lifecycle-base']?.status).toBe('ok');
    expect(results['lifecycle-abort']?.status).toBe('ok');
  });

  it('treats versioning enabled as a failure and suspended as a warning', () => {
    expect(byId(runChecks({ ...healthy(), versioning: ok({ status: 'Enabled' }) })).versioning?.status).toBe(
      'fail',
    );
    expect(
      byId(runChecks({ ...healthy(), versioning: ok({ status: 'Suspended' }) })).versioning?.status,
    ).toBe('warn');
  });

  it('turns what an endpoint cannot answer into warnings, never failures', () => {
    const results = byId(
      runChecks({
        ...healthy(),
        publicAccessBlock: err('unsupported', 'NotImplemented'),
        encryption: ok([]),
        ownership: ok([]),
        policy: err('denied', 'AccessDenied'),
      }),
    );
    expect(results['public-access-bucket']).toMatchObject({
      status: 'warn',
      detail: 'cannot check on this endpoint (NotImplemented)',
    });
    expect(results.encryption).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('cannot check on this endpoint'),
    });
    expect(results['object-ownership']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('cannot check on this endpoint'),
    });
    expect(results['tls-only']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('s3:GetBucketPolicy'),
    });
  });

  it('fails missing encryption and ACL-based ownership', () => {
    const results = byId(
      runChecks({
        ...healthy(),
        encryption: err('not-found', 'ServerSideEncryptionConfigurationNotFoundError'),
        ownership: ok([{ ObjectOwnership: 'ObjectWriter' }]),
      }),
    );
    expect(results.encryption?.status).toBe('fail');
    expect(results['object-ownership']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('ObjectWriter'),
    });
  });

  it('counts results', () => {
    expect(
      summarize(runChecks({ ...healthy(), versioning: ok({ status: 'Enabled' }), encryption: ok([]) })),
    ).toEqual({
      ok: 9,
      warn: 1,
      fail: 1,
    });
  });
});
