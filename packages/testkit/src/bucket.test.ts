import {
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestBucket, uniqueBucketName, withTestBucket } from './bucket.js';
import { createTestS3Client, s3TestsSkipped } from './config.js';

describe('uniqueBucketName', () => {
  it('makes valid, distinct S3 bucket names', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueBucketName()));
    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^[a-z0-9][a-z0-9-]{2,62}$/);
    expect(uniqueBucketName('janitor')).toMatch(/^janitor-/);
    expect(() => uniqueBucketName('Bad_Prefix')).toThrow(/prefix/);
  });
});

async function bucketExists(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return false;
    throw error;
  }
}

/** Puts `count` small objects, a few dozen requests in flight at a time. */
async function putMany(client: S3Client, bucket: string, count: number): Promise<void> {
  const keys = Array.from({ length: count }, (_, i) => `many/${String(i).padStart(5, '0')}`);
  const inFlight = 32;
  for (let i = 0; i < keys.length; i += inFlight) {
    await Promise.all(
      keys
        .slice(i, i + inFlight)
        .map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))),
    );
  }
}

describe.skipIf(s3TestsSkipped())('test buckets on the real S3 endpoint', () => {
  const client = createTestS3Client();
  afterAll(() => client.destroy());

  it('withTestBucket empties (beyond one listing page) and deletes the bucket afterwards', async () => {
    const name = await withTestBucket(
      async (bucket) => {
        expect(await bucketExists(client, bucket.name)).toBe(true);
        // More than one ListObjectVersions / DeleteObjects page (1,000 entries each) ...
        await putMany(bucket.client, bucket.name, 1_005);
        // ... and a multipart upload left open, which would also keep the bucket from being deleted.
        await bucket.client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: 'open-upload' }),
        );
        const uploads = await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
        expect(uploads.Uploads ?? []).toHaveLength(1);
        return bucket.name;
      },
      { client },
    );
    expect(await bucketExists(client, name)).toBe(false);
  });

  it('withTestBucket deletes the bucket when the test body throws, and rethrows', async () => {
    let name = '';
    await expect(
      withTestBucket(
        async (bucket) => {
          name = bucket.name;
          await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'k', Body: 'v' }));
          throw new Error('boom');
        },
        { client },
      ),
    ).rejects.toThrow('boom');
    expect(name).not.toBe('');
    expect(await bucketExists(client, name)).toBe(false);
  });

  it('createTestBucket hands out a bucket whose cleanup is idempotent', async () => {
    const bucket = await createTestBucket();
    await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'a/b', Body: 'x' }));
    await bucket.cleanup();
    await bucket.cleanup();
    expect(await bucketExists(client, bucket.name)).toBe(false);
  });
});
