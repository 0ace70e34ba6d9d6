/** Input names, exactly as actions/cache spells them, plus the S3 settings. */
export const Inputs = {
  Path: 'path',
  Key: 'key',
  RestoreKeys: 'restore-keys',
  UploadChunkSize: 'upload-chunk-size',
  EnableCrossOsArchive: 'enableCrossOsArchive',
  FailOnCacheMiss: 'fail-on-cache-miss',
  LookupOnly: 'lookup-only',
  SaveAlways: 'save-always',
  Bucket: 'bucket',
  Region: 'region',
  Endpoint: 'endpoint',
  Prefix: 'prefix',
  RoleToAssume: 'role-to-assume',
  UseDeltas: 'use-deltas',
  ClearCache: 'clear-cache',
} as const;

export const Outputs = {
  CacheHit: 'cache-hit',
  CachePrimaryKey: 'cache-primary-key',
  CacheMatchedKey: 'cache-matched-key',
} as const;

/** State names shared by the main and post steps (the same names actions/cache uses). */
export const State = {
  CachePrimaryKey: 'CACHE_KEY',
  CacheMatchedKey: 'CACHE_RESULT',
} as const;

export type StateName = (typeof State)[keyof typeof State];

/** Environment variables an organisation can set once instead of repeating inputs. Inputs win. */
export const SettingsEnv = {
  Bucket: 'S3CACHE_BUCKET',
  Region: 'S3CACHE_REGION',
  Endpoint: 'S3CACHE_ENDPOINT',
  Prefix: 'S3CACHE_PREFIX',
  RoleToAssume: 'S3CACHE_ROLE_TO_ASSUME',
  /** STS endpoint for role-to-assume (S3-compatible stores that serve STS themselves). */
  StsEndpoint: 'S3CACHE_STS_ENDPOINT',
} as const;

/** The commit-message tag that clears the primary key's entry before restoring. */
export const CLEAR_CACHE_TAG = '[ci-clear-cache]';

/** The audience of the GitHub OIDC token exchanged with STS (as aws-actions/configure-aws-credentials). */
export const OIDC_AUDIENCE = 'sts.amazonaws.com';

/** actions/cache: SEGMENT_DOWNLOAD_TIMEOUT_MINS bounds a download; 10 minutes by default. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MINUTES = 10;

/** S3 refuses multipart parts under 5 MiB (except the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
