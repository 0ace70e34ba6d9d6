import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPolicy } from '@s3cache/janitor-lambda';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit-codes.js';
import { capBytes, loadPolicy } from './policy.js';

describe('loadPolicy', () => {
  it('uses the janitor defaults when nothing is given', async () => {
    expect(await loadPolicy({}, {}, '/')).toBe(defaultPolicy);
    expect(defaultPolicy.defaultRepositoryCapBytes).toBe(10 * 1024 ** 3);
  });

  it('reads inline JSON, a file, or S3CACHE_POLICY, in that order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3cache-policy-'));
    try {
      await writeFile(join(dir, 'policy.json'), JSON.stringify({ maxIdleDays: 3 }));
      const env = { S3CACHE_POLICY: '{"maxIdleDays": 5}' };
      expect((await loadPolicy({ policy: '{"maxIdleDays": 2}' }, env, dir)).maxIdleDays).toBe(2);
      expect((await loadPolicy({ policy: 'policy.json' }, env, dir)).maxIdleDays).toBe(3);
      expect((await loadPolicy({}, env, dir)).maxIdleDays).toBe(5);
      await expect(loadPolicy({ policy: 'missing.json' }, {}, dir)).rejects.toThrow(UsageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets --cap override the default cap', async () => {
    const policy = await loadPolicy(
      { cap: '20GiB', policy: '{"defaultRepositoryCapBytes": "1GiB"}' },
      {},
      '/',
    );
    expect(policy.defaultRepositoryCapBytes).toBe(20 * 1024 ** 3);
  });

  it('turns invalid policies into usage errors', async () => {
    await expect(loadPolicy({ policy: '{"graceMinutes": -1}' }, {}, '/')).rejects.toThrow(/graceMinutes/);
    await expect(loadPolicy({ policy: '{not json' }, {}, '/')).rejects.toThrow(/not valid JSON/);
    await expect(loadPolicy({}, { S3CACHE_POLICY: '[' }, '/')).rejects.toThrow(UsageError);
    expect(() => capBytes('0')).toThrow(UsageError);
    expect(capBytes('1.5 GiB')).toBe(1.5 * 1024 ** 3);
  });
});
