import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Where the S3 tests run: set by `scripts/s3-lab.sh` (local Ceph RGW) or by hand (any S3). */
export interface S3TestConfig {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Lifecycle "days" last seconds (the lab's `rgw_lc_debug_interval`): expiration can be awaited. */
  lifecycleFast: boolean;
  /** The endpoint serves STS and the IAM role/OIDC-provider API for the test user. */
  sts: boolean;
}

export const S3_ENV = {
  endpoint: 'S3CACHE_TEST_ENDPOINT',
  accessKeyId: 'S3CACHE_TEST_ACCESS_KEY_ID',
  secretAccessKey: 'S3CACHE_TEST_SECRET_ACCESS_KEY',
  region: 'S3CACHE_TEST_REGION',
  lifecycleFast: 'S3CACHE_TEST_LIFECYCLE_FAST',
  sts: 'S3CACHE_TEST_STS',
  skip: 'S3CACHE_TEST_SKIP_S3',
} as const;

type Env = Record<string, string | undefined>;

const isOn = (value: string | undefined): boolean => value === '1' || value === 'true';

/**
 * True only when the developer explicitly opted out of S3 tests with `S3CACHE_TEST_SKIP_S3=1`.
 * Use it as `describe.skipIf(s3TestsSkipped())`: without the opt-out, a missing endpoint makes
 * the tests fail loudly (via {@link s3TestConfig}) instead of silently skipping.
 */
export function s3TestsSkipped(env: Env = process.env): boolean {
  return isOn(env[S3_ENV.skip]);
}

/** Reads the S3 test environment; throws an error explaining how to get one when it is incomplete. */
export function s3TestConfig(env: Env = process.env): S3TestConfig {
  const required = [S3_ENV.endpoint, S3_ENV.accessKeyId, S3_ENV.secretAccessKey] as const;
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(
      `S3 tests need a real S3 endpoint, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. ` +
        'Run the whole suite with `sh scripts/test.sh` (it starts a local Ceph RGW), or start one yourself: ' +
        '`sh scripts/s3-lab.sh start && eval "$(sh scripts/s3-lab.sh env)"`. ' +
        `To use another S3 (MinIO, AWS), set ${required.join(', ')} and ${S3_ENV.region}. ` +
        `To skip S3 tests deliberately, set ${S3_ENV.skip}=1.`,
    );
  }
  const endpoint = env[S3_ENV.endpoint] as string;
  try {
    new URL(endpoint);
  } catch {
    throw new Error(`${S3_ENV.endpoint} is not a URL: ${JSON.stringify(endpoint)}`);
  }
  return {
    endpoint,
    accessKeyId: env[S3_ENV.accessKeyId] as string,
    secretAccessKey: env[S3_ENV.secretAccessKey] as string,
    region: env[S3_ENV.region] || 'us-east-1',
    lifecycleFast: isOn(env[S3_ENV.lifecycleFast]),
    sts: isOn(env[S3_ENV.sts]),
  };
}

/**
 * The options every S3 client in tests (and in the code under test) needs against the test endpoint:
 * path-style addressing (loopback has no virtual-host DNS) and checksums only where S3 requires them
 * (the SDK's default streaming checksums make RGW answer 411 MissingContentLength).
 */
export function testS3ClientConfig(config: S3TestConfig = s3TestConfig()): S3ClientConfig {
  return {
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** An `S3Client` for the test endpoint; `overrides` are applied on top of {@link testS3ClientConfig}. */
export function createTestS3Client(
  overrides: S3ClientConfig = {},
  config: S3TestConfig = s3TestConfig(),
): S3Client {
  return new S3Client({ ...testS3ClientConfig(config), ...overrides });
}
