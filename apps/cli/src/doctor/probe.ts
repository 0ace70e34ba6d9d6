import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { classifyAwsError } from '../aws/errors.js';
import type { AccountPublicAccessResult } from './account.js';
import type { BucketFacts, Probe } from './facts.js';

async function probe<T>(read: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: classifyAwsError(err) };
  }
}

/** Reads the bucket's configuration, every read independent of the others and in parallel. */
export async function gatherBucketFacts(
  client: S3Client,
  bucket: string,
  prefix: string,
  account: () => Promise<AccountPublicAccessResult>,
): Promise<BucketFacts> {
  const Bucket = bucket;
  const [reachable, publicAccessBlock, policy, lifecycle, encryption, versioning, ownership, accountResult] =
    await Promise.all([
      probe(async () => {
        await client.send(new HeadBucketCommand({ Bucket }));
        return true as const;
      }),
      probe(
        async () =>
          (await client.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
      ),
      probe(async () => (await client.send(new GetBucketPolicyCommand({ Bucket }))).Policy),
      probe(
        async () => (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [],
      ),
      probe(
        async () =>
          (await client.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration
            ?.Rules ?? [],
      ),
      probe(async () => ({
        status: (await client.send(new GetBucketVersioningCommand({ Bucket }))).Status as string | undefined,
      })),
      probe(
        async () =>
          (await client.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls?.Rules ??
          [],
      ),
      account(),
    ]);
  return {
    bucket,
    prefix,
    reachable,
    publicAccessBlock,
    account: accountResult,
    policy,
    lifecycle,
    encryption,
    versioning,
    ownership,
  };
}
