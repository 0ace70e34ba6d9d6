// The S3 the end-to-end tests run against (scripts/s3-lab.sh or any S3 in S3CACHE_TEST_*), as the
// action sees it: credentials in the standard AWS variables, the endpoint as an input.
import { s3TestConfig } from '@s3cache/testkit';

export interface ActionS3 {
  inputs: Record<string, string>;
  env: Record<string, string>;
}

export function actionS3(bucket: string): ActionS3 {
  const config = s3TestConfig();
  return {
    inputs: { bucket, endpoint: config.endpoint, region: config.region },
    env: { AWS_ACCESS_KEY_ID: config.accessKeyId, AWS_SECRET_ACCESS_KEY: config.secretAccessKey },
  };
}
