import { ValidationError } from '@s3cache/core';
import { describe, expect, it } from 'vitest';
import {
  checkKeys,
  downloadTimeoutMs,
  inputOrEnv,
  parseBoolean,
  parseChunkSize,
  type ReadInput,
  readRestoreInputs,
  readS3Settings,
  readSaveInputs,
} from '../src/inputs.js';

const reader =
  (inputs: Record<string, string>): ReadInput =>
  (name) =>
    (inputs[name] ?? '').trim();

const collect = () => {
  const messages: string[] = [];
  return { messages, warn: (m: string) => messages.push(m) };
};

/** The message of the ValidationError `fn` throws (fails the test when it throws anything else). */
function validationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('booleans', () => {
  it('is true only for "true" in any case; blank takes the default', () => {
    expect(parseBoolean('true')).toBe(true);
    expect(parseBoolean('TRUE')).toBe(true);
    expect(parseBoolean(' True ')).toBe(true);
    expect(parseBoolean('yes')).toBe(false);
    expect(parseBoolean('1')).toBe(false);
    expect(parseBoolean('')).toBe(false);
    expect(parseBoolean('', true)).toBe(true);
    expect(parseBoolean('false', true)).toBe(false);
  });
});

describe('restore inputs', () => {
  it('parses multiline paths and restore keys like actions/cache', () => {
    const inputs = readRestoreInputs(
      reader({
        key: 'linux-deps-abc',
        path: 'node_modules\n\n! node_modules/.cache\n  ~/.npm  \n',
        'restore-keys': 'linux-deps-\n\nlinux-\n',
        'fail-on-cache-miss': 'true',
        'lookup-only': 'TRUE',
        enableCrossOsArchive: 'false',
      }),
    );
    expect(inputs).toEqual({
      paths: ['node_modules', '!node_modules/.cache', '~/.npm'],
      primaryKey: 'linux-deps-abc',
      restoreKeys: ['linux-deps-', 'linux-'],
      enableCrossOsArchive: false,
      failOnCacheMiss: true,
      lookupOnly: true,
      clearCache: false,
      saveAlways: false,
    });
  });

  it('requires key and path, with the fix in the message', () => {
    expect(validationMessage(() => readRestoreInputs(reader({ path: 'x' })))).toBe(
      'Input required and not supplied: key. Set `key:` under `with:` in the workflow step.',
    );
    expect(validationMessage(() => readRestoreInputs(reader({ key: 'k', path: ' \n \n' })))).toMatch(
      /^Path Validation Error: at least one directory or file path is required\. Set `path:`/,
    );
  });
});

describe('key validation', () => {
  it('accepts 512 characters and 10 keys', () => {
    expect(() =>
      checkKeys(
        'k'.repeat(512),
        Array.from({ length: 9 }, (_, i) => `r${i}`),
      ),
    ).not.toThrow();
  });

  it('rejects a comma, naming the key and the fix', () => {
    expect(validationMessage(() => checkKeys('a,b', []))).toBe(
      'Key Validation Error: `key` "a,b" contains a comma, which cache keys cannot. Replace the comma (e.g. with "-").',
    );
    expect(validationMessage(() => checkKeys('ok', ['fine', 'x,y']))).toMatch(
      /restore-keys line 2 "x,y" contains a comma/,
    );
  });

  it('rejects 513 characters', () => {
    const message = validationMessage(() => checkKeys('k'.repeat(513), []));
    expect(message).toMatch(/`key` has 513 characters, more than the 512 allowed/);
    expect(message).toMatch(/Shorten it/);
    expect(message).not.toContain('\n');
  });

  it('rejects 11 keys', () => {
    const message = validationMessage(() =>
      checkKeys(
        'k',
        Array.from({ length: 10 }, (_, i) => `r${i}`),
      ),
    );
    expect(message).toMatch(
      /at most 10 keys are allowed .* got the key plus 10 restore-keys\. Remove restore-keys/,
    );
  });
});

describe('save inputs', () => {
  it('defaults use-deltas to true and reads the chunk size', () => {
    const { warn, messages } = collect();
    expect(readSaveInputs(reader({ path: 'a', key: 'k', 'upload-chunk-size': '33554432' }), warn)).toEqual({
      paths: ['a'],
      key: 'k',
      enableCrossOsArchive: false,
      useDeltas: true,
      lookupOnly: false,
      uploadChunkSize: 33554432,
    });
    expect(readSaveInputs(reader({ path: 'a', 'use-deltas': 'false' }), warn).useDeltas).toBe(false);
    expect(messages).toEqual([]);
  });

  it('ignores a bad upload-chunk-size and raises a small one to 5 MiB, with a warning', () => {
    const { warn, messages } = collect();
    expect(parseChunkSize('', warn)).toBeUndefined();
    expect(parseChunkSize('lots', warn)).toBeUndefined();
    expect(parseChunkSize('-3', warn)).toBeUndefined();
    expect(parseChunkSize('1024', warn)).toBe(5 * 1024 * 1024);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/Ignoring upload-chunk-size "lots"/);
  });
});

describe('S3 settings', () => {
  it('takes each setting from its input, else from the environment', () => {
    const env = {
      S3CACHE_BUCKET: 'org-cache',
      S3CACHE_REGION: 'eu-west-1',
      S3CACHE_ENDPOINT: 'http://minio:9000',
      S3CACHE_PREFIX: '/team/',
      S3CACHE_ROLE_TO_ASSUME: 'arn:aws:iam::123456789012:role/cache',
    };
    expect(readS3Settings(reader({}), env)).toEqual({
      bucket: 'org-cache',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      prefix: 'team',
      roleToAssume: 'arn:aws:iam::123456789012:role/cache',
    });
    expect(
      readS3Settings(
        reader({
          bucket: 'mine',
          region: 'us-east-2',
          endpoint: 'https://s3.example.com',
          prefix: 'p',
          'role-to-assume': 'r',
        }),
        env,
      ),
    ).toEqual({
      bucket: 'mine',
      region: 'us-east-2',
      endpoint: 'https://s3.example.com',
      prefix: 'p',
      roleToAssume: 'r',
    });
  });

  it('falls back to AWS_REGION, then AWS_DEFAULT_REGION, else leaves the region unset', () => {
    expect(
      readS3Settings(reader({ bucket: 'b1b' }), { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'x' }).region,
    ).toBe('ap-south-1');
    expect(readS3Settings(reader({ bucket: 'b1b' }), { AWS_DEFAULT_REGION: 'sa-east-1' }).region).toBe(
      'sa-east-1',
    );
    expect(readS3Settings(reader({ bucket: 'b1b' }), {})).toEqual({ bucket: 'b1b', prefix: '' });
  });

  it('reads the STS endpoint from S3CACHE_STS_ENDPOINT', () => {
    expect(
      readS3Settings(reader({ bucket: 'bkt' }), { S3CACHE_STS_ENDPOINT: 'http://sts:1' }).stsEndpoint,
    ).toBe('http://sts:1');
  });

  it('fails without a bucket, saying where to set it', () => {
    expect(validationMessage(() => readS3Settings(reader({}), {}))).toBe(
      'No cache bucket configured: set the `bucket` input or the S3CACHE_BUCKET environment variable.',
    );
  });

  it('refuses URLs and paths as bucket names and malformed endpoints', () => {
    expect(validationMessage(() => readS3Settings(reader({ bucket: 's3://my-bucket' }), {}))).toMatch(
      /^Invalid bucket "s3:\/\/my-bucket": give the bucket name only/,
    );
    expect(validationMessage(() => readS3Settings(reader({ bucket: 'b/prefix' }), {}))).toMatch(
      /a key prefix goes in `prefix`/,
    );
    expect(
      validationMessage(() => readS3Settings(reader({ bucket: 'bkt', endpoint: 'minio:9000' }), {})),
    ).toMatch(/^Invalid endpoint \(or S3CACHE_ENDPOINT\) "minio:9000": expected an http\(s\) URL/);
  });

  it('inputOrEnv ignores blank values', () => {
    expect(inputOrEnv(reader({ a: '' }), { A: '  ', B: 'b' }, 'a', 'A', 'B')).toBe('b');
    expect(inputOrEnv(reader({}), {}, 'a', 'A')).toBeUndefined();
  });
});

describe('download timeout', () => {
  it('reads SEGMENT_DOWNLOAD_TIMEOUT_MINS, 10 minutes by default', () => {
    const { warn, messages } = collect();
    expect(downloadTimeoutMs({}, warn)).toBe(600_000);
    expect(downloadTimeoutMs({ SEGMENT_DOWNLOAD_TIMEOUT_MINS: '2' }, warn)).toBe(120_000);
    expect(downloadTimeoutMs({ SEGMENT_DOWNLOAD_TIMEOUT_MINS: '0.5' }, warn)).toBe(30_000);
    expect(messages).toEqual([]);
    expect(downloadTimeoutMs({ SEGMENT_DOWNLOAD_TIMEOUT_MINS: 'soon' }, warn)).toBe(600_000);
    expect(messages[0]).toMatch(/Ignoring SEGMENT_DOWNLOAD_TIMEOUT_MINS="soon"/);
  });
});
