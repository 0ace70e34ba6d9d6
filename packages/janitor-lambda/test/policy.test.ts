import { describe, expect, it } from 'vitest';
import {
  defaultPolicy,
  GiB,
  JanitorConfigError,
  parseByteSize,
  parsePolicy,
  repositoryLimits,
} from '../src/index.js';

describe('parsePolicy', () => {
  it('has the documented defaults', () => {
    expect(defaultPolicy).toEqual({
      graceMinutes: 60,
      maxIdleDays: 7,
      pullRequestIdleDays: 1,
      defaultRepositoryCapBytes: 10 * GiB,
      repositories: {},
      lowWaterRatio: 0.9,
      multipartMaxAgeHours: 24,
    });
    expect(defaultPolicy.bucketCapBytes).toBeUndefined();
  });

  it('accepts byte sizes as numbers or with units, and lower-cases repositories', () => {
    const policy = parsePolicy({
      bucketCapBytes: '1.5 TiB',
      defaultRepositoryCapBytes: 1000,
      repositories: { 'Acme/App': { capBytes: '20GB' }, 'acme/lib': { capBytes: '512MiB', maxIdleDays: 2 } },
    });
    expect(policy.bucketCapBytes).toBe(1.5 * 1024 ** 4);
    expect(policy.repositories).toEqual({
      'acme/app': { capBytes: 20e9 },
      'acme/lib': { capBytes: 512 * 1024 ** 2, maxIdleDays: 2 },
    });
    expect(repositoryLimits(policy, 'ACME/APP')).toEqual({
      capBytes: 20e9,
      maxIdleDays: 7,
      pullRequestIdleDays: 1,
    });
    expect(repositoryLimits(policy, 'other/repo').capBytes).toBe(1000);
  });

  it('is idempotent: a parsed policy parses to itself', () => {
    const policy = parsePolicy({ bucketCapBytes: '1GiB', repositories: { 'a/b': { capBytes: 5 } } });
    expect(parsePolicy(policy)).toEqual(policy);
  });

  it.each([
    [{ graceMinutes: -1 }, /graceMinutes/],
    [{ lowWaterRatio: 0 }, /lowWaterRatio/],
    [{ lowWaterRatio: 1.5 }, /lowWaterRatio/],
    [{ bucketCapBytes: '10 parsecs' }, /bucketCapBytes: expected a byte count/],
    [{ maxIdleDays: 'seven' }, /maxIdleDays/],
    [
      { repositories: { 'not-a-repo': {} } },
      /repositories\.not-a-repo: expected a key of the form "owner\/repo"/,
    ],
    [{ repositories: { 'a/b': {}, 'A/B': {} } }, /configured twice/],
    [{ repositories: { 'a/b': { cap: 1 } } }, /repositories\.a\/b/],
    [{ maxIdelDays: 3 }, /maxIdelDays/],
  ])('rejects %j with a clear message', (input, message) => {
    expect(() => parsePolicy(input, 'S3CACHE_POLICY')).toThrow(JanitorConfigError);
    expect(() => parsePolicy(input, 'S3CACHE_POLICY')).toThrow(message);
  });
});

describe('parseByteSize', () => {
  it.each([
    ['0', 0],
    ['10', 10],
    ['1KiB', 1024],
    ['1 kb', 1000],
    ['2.5GiB', 2.5 * GiB],
    ['3 TB', 3e12],
  ])('%s -> %d', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'GiB', '-1', '1 XB', '1e3'])('rejects %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});
