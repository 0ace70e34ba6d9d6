import { MAX_KEY_LENGTH, MAX_KEYS, parseMultiline, ValidationError } from '@s3cache/core';
import { DEFAULT_DOWNLOAD_TIMEOUT_MINUTES, Inputs, MIN_PART_SIZE, SettingsEnv } from './constants.js';

/*
 * Pure input parsing: every function takes the input reader and the environment as arguments,
 * so the rules are testable without a runner. Errors a user must fix are ValidationErrors with
 * a one-line message naming the cause and the fix; they are the only errors that fail a step.
 */

/** Reads one input as the runner passes it (`INPUT_<NAME>`), trimmed, '' when unset. */
export type ReadInput = (name: string) => string;
export type Env = Readonly<Record<string, string | undefined>>;
export type Warn = (message: string) => void;

/** Where the cache lives and how to authenticate. */
export interface S3Settings {
  bucket: string;
  /** Key prefix inside the bucket ('' for none). */
  prefix: string;
  region?: string;
  /** An S3-compatible endpoint; path-style addressing is used with it. */
  endpoint?: string;
  /** A role to assume with the job's OIDC token; otherwise the default AWS credential chain. */
  roleToAssume?: string;
  stsEndpoint?: string;
}

export interface RestoreInputs {
  paths: string[];
  primaryKey: string;
  restoreKeys: string[];
  enableCrossOsArchive: boolean;
  failOnCacheMiss: boolean;
  lookupOnly: boolean;
  clearCache: boolean;
  saveAlways: boolean;
}

export interface SaveInputs {
  paths: string[];
  /** The `key` input; the post step uses the key frozen in state instead. '' when unset. */
  key: string;
  enableCrossOsArchive: boolean;
  useDeltas: boolean;
  lookupOnly: boolean;
  uploadChunkSize?: number;
}

/** A boolean input: true only for `true` (any case), as actions/cache; '' takes the default. */
export function parseBoolean(value: string, defaultValue = false): boolean {
  const trimmed = value.trim();
  if (trimmed === '') return defaultValue;
  return trimmed.toLowerCase() === 'true';
}

export function requireInput(read: ReadInput, name: string): string {
  const value = read(name);
  if (!value) {
    throw new ValidationError(
      `Input required and not supplied: ${name}. Set \`${name}:\` under \`with:\` in the workflow step.`,
    );
  }
  return value;
}

export function readPaths(read: ReadInput): string[] {
  const paths = parseMultiline(read(Inputs.Path));
  if (paths.length === 0) {
    throw new ValidationError(
      'Path Validation Error: at least one directory or file path is required. Set `path:` to what should be cached.',
    );
  }
  return paths;
}

/**
 * actions/cache's key rules, checked before any request: at most 512 characters, no comma, at
 * most 10 keys in all. Messages say which key broke which rule and how to fix it.
 */
export function checkKeys(primaryKey: string, restoreKeys: readonly string[]): void {
  const count = 1 + restoreKeys.length;
  if (count > MAX_KEYS) {
    throw new ValidationError(
      `Key Validation Error: at most ${MAX_KEYS} keys are allowed (the key plus ${MAX_KEYS - 1} restore-keys), ` +
        `got the key plus ${restoreKeys.length} restore-keys. Remove restore-keys: a shorter prefix already matches what longer ones do.`,
    );
  }
  for (const [index, key] of [primaryKey, ...restoreKeys].entries()) {
    const which = index === 0 ? '`key`' : `restore-keys line ${index}`;
    if (key.length === 0) {
      throw new ValidationError(`Key Validation Error: ${which} is empty. Give it a value.`);
    }
    if (key.length > MAX_KEY_LENGTH) {
      throw new ValidationError(
        `Key Validation Error: ${which} has ${key.length} characters, more than the ${MAX_KEY_LENGTH} allowed ` +
          `("${key.slice(0, 32)}..."). Shorten it, e.g. hash long parts with hashFiles().`,
      );
    }
    if (key.includes(',')) {
      throw new ValidationError(
        `Key Validation Error: ${which} "${key}" contains a comma, which cache keys cannot. Replace the comma (e.g. with "-").`,
      );
    }
  }
}

/** `upload-chunk-size` in bytes: the multipart part size. Invalid values warn and are ignored. */
export function parseChunkSize(value: string, warn: Warn): number | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const size = Number(trimmed);
  if (!Number.isSafeInteger(size) || size <= 0) {
    warn(`Ignoring ${Inputs.UploadChunkSize} "${trimmed}": expected a positive number of bytes.`);
    return undefined;
  }
  if (size < MIN_PART_SIZE) {
    warn(
      `${Inputs.UploadChunkSize} ${size} is below S3's minimum part size: using ${MIN_PART_SIZE} bytes (5 MiB).`,
    );
    return MIN_PART_SIZE;
  }
  return size;
}

export function readRestoreInputs(read: ReadInput): RestoreInputs {
  const primaryKey = requireInput(read, Inputs.Key);
  const restoreKeys = parseMultiline(read(Inputs.RestoreKeys));
  checkKeys(primaryKey, restoreKeys);
  return {
    paths: readPaths(read),
    primaryKey,
    restoreKeys,
    enableCrossOsArchive: parseBoolean(read(Inputs.EnableCrossOsArchive)),
    failOnCacheMiss: parseBoolean(read(Inputs.FailOnCacheMiss)),
    lookupOnly: parseBoolean(read(Inputs.LookupOnly)),
    clearCache: parseBoolean(read(Inputs.ClearCache)),
    saveAlways: parseBoolean(read(Inputs.SaveAlways)),
  };
}

export function readSaveInputs(read: ReadInput, warn: Warn): SaveInputs {
  const uploadChunkSize = parseChunkSize(read(Inputs.UploadChunkSize), warn);
  return {
    paths: readPaths(read),
    key: read(Inputs.Key),
    enableCrossOsArchive: parseBoolean(read(Inputs.EnableCrossOsArchive)),
    useDeltas: parseBoolean(read(Inputs.UseDeltas), true),
    lookupOnly: parseBoolean(read(Inputs.LookupOnly)),
    ...(uploadChunkSize !== undefined ? { uploadChunkSize } : {}),
  };
}

/** The input when given, else the first environment variable that is set. */
export function inputOrEnv(
  read: ReadInput,
  env: Env,
  name: string,
  ...envNames: string[]
): string | undefined {
  const value = read(name);
  if (value) return value;
  for (const envName of envNames) {
    const fromEnv = env[envName]?.trim();
    if (fromEnv) return fromEnv;
  }
  return undefined;
}

// Bucket names: AWS allows 3-63 of [a-z0-9.-] today; legacy us-east-1 buckets also have upper
// case and `_`. Anything with a scheme or a slash is a URL or a path pasted by mistake.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

export function readS3Settings(read: ReadInput, env: Env): S3Settings {
  const bucket = inputOrEnv(read, env, Inputs.Bucket, SettingsEnv.Bucket);
  if (!bucket) {
    throw new ValidationError(
      `No cache bucket configured: set the \`${Inputs.Bucket}\` input or the ${SettingsEnv.Bucket} environment variable.`,
    );
  }
  if (!BUCKET.test(bucket)) {
    throw new ValidationError(
      `Invalid bucket "${bucket}": give the bucket name only (e.g. my-cache-bucket); ` +
        `a key prefix goes in \`${Inputs.Prefix}\`, an S3-compatible server in \`${Inputs.Endpoint}\`.`,
    );
  }
  const endpoint = inputOrEnv(read, env, Inputs.Endpoint, SettingsEnv.Endpoint);
  if (endpoint !== undefined) checkUrl(endpoint, `${Inputs.Endpoint} (or ${SettingsEnv.Endpoint})`);
  const stsEndpoint = env[SettingsEnv.StsEndpoint]?.trim() || undefined;
  if (stsEndpoint !== undefined) checkUrl(stsEndpoint, SettingsEnv.StsEndpoint);
  const region = inputOrEnv(read, env, Inputs.Region, SettingsEnv.Region, 'AWS_REGION', 'AWS_DEFAULT_REGION');
  const roleToAssume = inputOrEnv(read, env, Inputs.RoleToAssume, SettingsEnv.RoleToAssume);
  const prefix = (inputOrEnv(read, env, Inputs.Prefix, SettingsEnv.Prefix) ?? '').replace(/^\/+|\/+$/g, '');
  return {
    bucket,
    prefix,
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(roleToAssume ? { roleToAssume } : {}),
    ...(stsEndpoint ? { stsEndpoint } : {}),
  };
}

function checkUrl(value: string, what: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ValidationError(
      `Invalid ${what} "${value}": expected an http(s) URL such as https://s3.example.com.`,
    );
  }
}

/** The download deadline: SEGMENT_DOWNLOAD_TIMEOUT_MINS (actions/cache), 10 minutes by default. */
export function downloadTimeoutMs(env: Env, warn: Warn): number {
  const raw = env.SEGMENT_DOWNLOAD_TIMEOUT_MINS?.trim();
  const minutes = raw ? Number(raw) : DEFAULT_DOWNLOAD_TIMEOUT_MINUTES;
  if (!Number.isFinite(minutes) || minutes <= 0) {
    warn(
      `Ignoring SEGMENT_DOWNLOAD_TIMEOUT_MINS="${raw}": expected a positive number of minutes; using ${DEFAULT_DOWNLOAD_TIMEOUT_MINUTES}.`,
    );
    return DEFAULT_DOWNLOAD_TIMEOUT_MINUTES * 60_000;
  }
  return Math.round(minutes * 60_000);
}
