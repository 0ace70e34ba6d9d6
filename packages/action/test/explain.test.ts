import { ObjectMissingError, StoreError, TimeoutError } from '@s3cache/core';
import { describe, expect, it } from 'vitest';
import { CredentialsError, explainError, isAccessDenied } from '../src/explain.js';
import type { S3Settings } from '../src/inputs.js';

const settings: S3Settings = {
  bucket: 'team-cache',
  prefix: 'ci',
  endpoint: 'http://127.0.0.1:9000',
  region: 'eu-west-1',
};

/** An error shaped like the AWS SDK's service exceptions. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from S3`), { name, $metadata: { httpStatusCode: status } });
}

function wrapped(cause: Error, code?: string): StoreError {
  return new StoreError(`GetObject failed: ${cause.message}`, code ?? cause.name, { cause });
}

describe('explainError', () => {
  it('names the cause and the fix for credential problems', () => {
    expect(explainError(wrapped(awsError('InvalidAccessKeyId', 403)), settings)).toMatch(
      /^S3 does not know the access key ID this job uses \(InvalidAccessKeyId\); give the job AWS credentials: set `role-to-assume`/,
    );
    expect(explainError(wrapped(awsError('SignatureDoesNotMatch', 403)), settings)).toMatch(
      /the secret access key is wrong/,
    );
    expect(explainError(wrapped(awsError('CredentialsProviderError', 0)), settings)).toMatch(
      /^No AWS credentials were found/,
    );
    expect(
      explainError(wrapped(awsError('ExpiredToken', 400)), { ...settings, roleToAssume: 'arn:r' }),
    ).toMatch(/ExpiredToken/);
  });

  it('mentions the role when one is configured', () => {
    expect(
      explainError(wrapped(awsError('AccessDenied', 403)), {
        ...settings,
        roleToAssume: 'arn:aws:iam::1:role/c',
      }),
    ).toMatch(
      /^Access denied to s3:\/\/team-cache\/ci \(AccessDenied\): the job's credentials are wrong or not allowed there; check that role-to-assume \(arn:aws:iam::1:role\/c\) trusts this repository/,
    );
  });

  it('names a missing bucket even when the store reports a missing object', () => {
    // S3Store maps every 404 to ObjectMissingError: the SDK error in the cause says which.
    const err = new ObjectMissingError('acme/app/x', { cause: awsError('NoSuchBucket', 404) });
    expect(explainError(err, settings)).toBe(
      'Bucket "team-cache" does not exist at http://127.0.0.1:9000 (NoSuchBucket); check the `bucket` input or S3CACHE_BUCKET and `endpoint`.',
    );
  });

  it('explains regions, network failures, timeouts and damaged entries', () => {
    expect(explainError(wrapped(awsError('PermanentRedirect', 301)), settings)).toMatch(
      /in another region than eu-west-1; set `region`/,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    expect(explainError(new StoreError('ListObjectsV2 failed', 'Error', { cause: refused }), settings)).toBe(
      "Cannot reach http://127.0.0.1:9000 (ECONNREFUSED); check `endpoint` / `region` and the runner's network access to S3.",
    );
    expect(explainError(new TimeoutError('download exceeded 600 s'), settings)).toMatch(
      /^The transfer timed out \(download exceeded 600 s\); raise SEGMENT_DOWNLOAD_TIMEOUT_MINS/,
    );
    expect(explainError(new ObjectMissingError('a/b/packs/1.pack'), settings)).toMatch(
      /^The cache entry is damaged or incomplete/,
    );
    expect(explainError(wrapped(awsError('InternalError', 503)), settings)).toMatch(
      /failed with HTTP 503 .* re-run the job/,
    );
  });

  it('passes credential errors through and keeps anything else on one line', () => {
    expect(
      explainError(
        new StoreError('x', 'CredentialsError', {
          cause: new CredentialsError('No token; add id-token: write.'),
        }),
        settings,
      ),
    ).toBe('No token; add id-token: write.');
    expect(explainError(new Error('something\n  odd happened'), settings)).toBe('something odd happened');
  });

  it('recognises AccessDenied', () => {
    expect(isAccessDenied(new StoreError('DeleteObjects failed', 'AccessDenied'))).toBe(true);
    expect(isAccessDenied(wrapped(awsError('NoSuchKey', 404)))).toBe(false);
  });
});
