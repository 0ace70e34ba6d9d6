import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type ObjectIdentifier,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createTestS3Client } from './config.js';

/** A throw-away bucket on the test endpoint. */
export interface TestBucket {
  readonly name: string;
  readonly client: S3Client;
  /** Aborts multipart uploads, deletes every object (all versions) and the bucket. Idempotent. */
  cleanup(): Promise<void>;
}

export interface TestBucketOptions {
  /** Client to use (and to leave open); by default a new {@link createTestS3Client} that cleanup destroys. */
  client?: S3Client;
  /** Start of the bucket name (lower-case letters, digits, dashes); default `s3cache-test`. */
  prefix?: string;
}

/** A bucket name that is unique across runs and parallel workers, e.g. `s3cache-test-m1x2y3z4-0a1b2c3d4e`. */
export function uniqueBucketName(prefix = 's3cache-test'): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(prefix)) {
    throw new Error(`bucket name prefix must be 1-31 lower-case letters, digits or dashes: ${prefix}`);
  }
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}

/**
 * Runs `fn` while a bucket policy denies everyone `action` (e.g. `s3:PutObject`) on the bucket's
 * objects, as a role without that permission would be; the policy is removed afterwards.
 */
export async function whileDenied<T>(
  bucket: Pick<TestBucket, 'name' | 'client'>,
  action: string,
  fn: () => Promise<T>,
): Promise<T> {
  const statement = {
    Effect: 'Deny',
    Principal: '*',
    Action: action,
    Resource: `arn:aws:s3:::${bucket.name}/*`,
  };
  await bucket.client.send(
    new PutBucketPolicyCommand({
      Bucket: bucket.name,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
    }),
  );
  try {
    return await fn();
  } finally {
    await bucket.client.send(new DeleteBucketPolicyCommand({ Bucket: bucket.name }));
  }
}

/** Creates a uniquely named bucket. Call `cleanup()` when done (e.g. in `afterAll`). */
export async function createTestBucket(options: TestBucketOptions = {}): Promise<TestBucket> {
  const ownsClient = options.client === undefined;
  const client = options.client ?? createTestS3Client();
  const name = uniqueBucketName(options.prefix);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (ownsClient) client.destroy();
    throw error;
  }
  let cleaned: Promise<void> | undefined;
  return {
    name,
    client,
    cleanup() {
      cleaned ??= (async () => {
        try {
          await deleteBucketAndContents(client, name);
        } finally {
          if (ownsClient) client.destroy();
        }
      })();
      return cleaned;
    },
  };
}

/** Runs `fn` with a fresh bucket and always deletes the bucket afterwards (also when `fn` throws). */
export async function withTestBucket<T>(
  fn: (bucket: TestBucket) => Promise<T>,
  options: TestBucketOptions = {},
): Promise<T> {
  const bucket = await createTestBucket(options);
  let result: T;
  try {
    result = await fn(bucket);
  } catch (error) {
    // The test's own failure is the interesting one: report it, even if cleanup fails as well.
    await bucket.cleanup().catch((cleanupError: unknown) => {
      console.warn(`testkit: could not delete bucket ${bucket.name}:`, cleanupError);
    });
    throw error;
  }
  await bucket.cleanup();
  return result;
}

/** Aborts all multipart uploads and deletes all objects, versions and delete markers (paginated). */
export async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page: ListMultipartUploadsCommandOutput = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    await Promise.all(
      (page.Uploads ?? []).map((upload) =>
        client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
        ),
      ),
    );
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }

  // ListObjectVersions also lists plain objects of unversioned buckets (version "null"), so one
  // loop covers both kinds of bucket.
  keyMarker = undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page: ListObjectVersionsCommandOutput = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    const objects: ObjectIdentifier[] = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(
      (v) => ({
        Key: v.Key,
        VersionId: v.VersionId,
      }),
    );
    // A page holds at most 1,000 entries, the DeleteObjects limit.
    if (objects.length > 0) {
      const result = await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      const errors = result.Errors ?? [];
      if (errors.length > 0) {
        const sample = errors.slice(0, 3).map((e) => `${e.Key}: ${e.Code} ${e.Message}`);
        throw new Error(`could not delete ${errors.length} objects from ${bucket}: ${sample.join('; ')}`);
      }
    }
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** Empties and deletes a bucket; a bucket that does not exist (any more) is fine. */
export async function deleteBucketAndContents(client: S3Client, bucket: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      return;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchBucket') return;
      // Something (a lifecycle run, a straggling upload of the test) wrote meanwhile: go again.
      if (name === 'BucketNotEmpty' && attempt < 5) continue;
      throw error;
    }
  }
}
