import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * What the roles and the janitor need of a bucket. A `Pick` rather than `s3.IBucket` because
 * `s3.Bucket` is not assignable to `s3.IBucket` under `exactOptionalPropertyTypes` (its
 * `isWebsite` getter returns `boolean | undefined`); both are assignable to this.
 */
export type BucketRef = Pick<s3.IBucket, 'bucketArn' | 'bucketName' | 'arnForObjects'>;
