import { describe, expect, it } from 'vitest';
import { S3_ENV, s3TestConfig, s3TestsSkipped, testS3ClientConfig } from './config.js';

const labEnv = {
  [S3_ENV.endpoint]: 'http://127.0.0.1:9000',
  [S3_ENV.accessKeyId]: 'AKIDEXAMPLE',
  [S3_ENV.secretAccessKey]: 'secret',
  [S3_ENV.region]: 'eu-west-3',
  [S3_ENV.lifecycleFast]: '1',
  [S3_ENV.sts]: '1',
};

describe('s3TestConfig', () => {
  it('reads the variables written by scripts/s3-lab.sh', () => {
    expect(s3TestConfig(labEnv)).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      region: 'eu-west-3',
      lifecycleFast: true,
      sts: true,
    });
  });

  it('defaults the region and treats the capability flags as off unless set', () => {
    const { [S3_ENV.region]: _r, [S3_ENV.lifecycleFast]: _l, [S3_ENV.sts]: _s, ...plain } = labEnv;
    expect(s3TestConfig(plain)).toMatchObject({ region: 'us-east-1', lifecycleFast: false, sts: false });
  });

  it('fails loudly, naming the lab script and the missing variables', () => {
    expect(() => s3TestConfig({})).toThrow(/scripts\/s3-lab\.sh/);
    expect(() => s3TestConfig({ ...labEnv, [S3_ENV.secretAccessKey]: '' })).toThrow(
      /S3CACHE_TEST_SECRET_ACCESS_KEY is not set/,
    );
  });

  it('rejects an endpoint that is not a URL', () => {
    expect(() => s3TestConfig({ ...labEnv, [S3_ENV.endpoint]: '127.0.0.1:9000 x' })).toThrow(/not a URL/);
  });
});

describe('s3TestsSkipped', () => {
  it('is true only on an explicit opt-out', () => {
    expect(s3TestsSkipped({})).toBe(false);
    expect(s3TestsSkipped({ [S3_ENV.skip]: '0' })).toBe(false);
    expect(s3TestsSkipped({ [S3_ENV.skip]: '1' })).toBe(true);
  });
});

describe('testS3ClientConfig', () => {
  it('uses path-style addressing and only the checksums S3 requires', () => {
    expect(testS3ClientConfig(s3TestConfig(labEnv))).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-3',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
});
