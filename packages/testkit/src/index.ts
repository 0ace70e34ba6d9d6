// Test-only support for s3cache's packages: the S3 endpoint the tests run against (see
// scripts/s3-lab.sh), clients configured for it, and throw-away buckets.
export {
  createTestBucket,
  deleteBucketAndContents,
  emptyBucket,
  type TestBucket,
  type TestBucketOptions,
  uniqueBucketName,
  whileDenied,
  withTestBucket,
} from './bucket.js';
export {
  createTestS3Client,
  S3_ENV,
  type S3TestConfig,
  s3TestConfig,
  s3TestsSkipped,
  testS3ClientConfig,
} from './config.js';
export {
  type Fault,
  type FaultPlan,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultRule,
  type ProxiedRequest,
  s3ErrorXml,
  seededRandom,
  startFaultProxy,
} from './fault-proxy.js';
