// Lambda entry point. Environment:
//   S3CACHE_BUCKET    (required) the cache bucket
//   S3CACHE_PREFIX    (optional) the bucket prefix the cache lives under
//   S3CACHE_POLICY    (optional) JSON policy, e.g. {"repositories":{"owner/repo":{"capBytes":"20GiB"}},
//                     "bucketCapBytes":"500GiB","lowWaterRatio":0.9,"maxIdleDays":7,
//                     "pullRequestIdleDays":1,"graceMinutes":60}
//   S3CACHE_ENDPOINT  (optional) an S3-compatible endpoint instead of AWS
//   S3CACHE_DRY_RUN   (optional) "1"/"true": plan and report only
//   S3CACHE_LOG_LEVEL (optional) debug | info | warn | error
// The invocation event may carry {"dryRun": true} (a manual test invoke).
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, Layout, type S3ClientOptions, S3Store } from '@s3cache/core';
import { JanitorConfigError } from './errors.js';
import { runJanitor } from './janitor.js';
import { S3PrefixLister } from './listing.js';
import { createJsonLogger, type JanitorLogger, type LogLevel } from './log.js';
import { type JanitorPolicy, parsePolicy } from './policy.js';
import type { JanitorReport } from './report.js';

export interface HandlerConfig {
  bucket: string;
  prefix: string;
  policy: JanitorPolicy;
  endpoint: string | undefined;
  dryRun: boolean;
  logLevel: LogLevel;
}

type Env = Record<string, string | undefined>;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Reads and validates the environment; every problem is a JanitorConfigError naming the variable. */
export function readConfig(env: Env): HandlerConfig {
  const bucket = env.S3CACHE_BUCKET?.trim();
  if (!bucket) throw new JanitorConfigError('S3CACHE_BUCKET is not set: name the cache bucket');
  if (!BUCKET.test(bucket))
    throw new JanitorConfigError(`S3CACHE_BUCKET is not a valid bucket name: ${JSON.stringify(bucket)}`);
  let policyJson: unknown = {};
  const rawPolicy = env.S3CACHE_POLICY?.trim();
  if (rawPolicy) {
    try {
      policyJson = JSON.parse(rawPolicy);
    } catch (err) {
      throw new JanitorConfigError(
        `S3CACHE_POLICY is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
  const logLevel = (env.S3CACHE_LOG_LEVEL?.trim().toLowerCase() || 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) {
    throw new JanitorConfigError(
      `S3CACHE_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(env.S3CACHE_LOG_LEVEL)}`,
    );
  }
  const endpoint = env.S3CACHE_ENDPOINT?.trim() || undefined;
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch {
      throw new JanitorConfigError(`S3CACHE_ENDPOINT is not a URL: ${JSON.stringify(endpoint)}`);
    }
  }
  return {
    bucket,
    prefix: env.S3CACHE_PREFIX?.trim() ?? '',
    policy: parsePolicy(policyJson, 'S3CACHE_POLICY'),
    endpoint,
    dryRun: isOn(env.S3CACHE_DRY_RUN),
    logLevel,
  };
}

function isOn(value: string | undefined): boolean {
  return value === '1' || value?.toLowerCase() === 'true';
}

/** The invocation event: anything (a schedule's payload), or {"dryRun": boolean}. */
export function readEvent(event: unknown): { dryRun: boolean | undefined } {
  if (event === null || typeof event !== 'object' || !('dryRun' in event)) return { dryRun: undefined };
  const { dryRun } = event as { dryRun: unknown };
  if (typeof dryRun !== 'boolean')
    throw new JanitorConfigError(`event.dryRun must be true or false, got ${JSON.stringify(dryRun)}`);
  return { dryRun };
}

/** The part of the Lambda context the handler uses. */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

export interface HandlerDependencies {
  env?: Env;
  /** Builds the S3 client (default: core's createS3Client). */
  createClient?: (options: S3ClientOptions) => S3Client;
  log?: JanitorLogger;
  /** Receives EMF lines (default: stdout). */
  emit?: (line: string) => void;
  /** Planning clock (default: the current time). */
  now?: () => Date;
}

/** Stop starting new work this long before Lambda's deadline, so the run ends with a clear error. */
const DEADLINE_MARGIN_MS = 30_000;

let defaultClient: { endpoint: string | undefined; client: S3Client } | undefined;

/** The handler's logic with every dependency injectable. */
export async function runHandler(
  event: unknown,
  context: LambdaContextLike = {},
  deps: HandlerDependencies = {},
): Promise<JanitorReport> {
  const env = deps.env ?? process.env;
  let log = deps.log ?? createJsonLogger({ fields: { service: 's3cache-janitor' } });
  let config: HandlerConfig;
  let dryRun: boolean;
  try {
    config = readConfig(env);
    dryRun = readEvent(event).dryRun ?? config.dryRun;
  } catch (err) {
    log.error('invalid configuration', { error: err });
    throw err;
  }
  if (!deps.log) {
    log = createJsonLogger({
      level: config.logLevel,
      fields: {
        service: 's3cache-janitor',
        bucket: config.bucket,
        ...(context.awsRequestId ? { requestId: context.awsRequestId } : {}),
      },
    });
  }
  const clientOptions: S3ClientOptions = {
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxSockets: 32,
  };
  let client: S3Client;
  if (deps.createClient) {
    client = deps.createClient(clientOptions);
  } else {
    // Reused across warm invocations, as Lambda recommends for SDK clients.
    if (!defaultClient || defaultClient.endpoint !== config.endpoint) {
      defaultClient = { endpoint: config.endpoint, client: createS3Client(clientOptions) };
    }
    client = defaultClient.client;
  }
  const controller = new AbortController();
  const remaining = context.getRemainingTimeInMillis?.();
  const timer =
    remaining !== undefined
      ? setTimeout(
          () => controller.abort(new Error('stopping before the Lambda deadline; the next run continues')),
          Math.max(0, remaining - DEADLINE_MARGIN_MS),
        )
      : undefined;
  try {
    const { report } = await runJanitor({
      store: new S3Store(client, { bucket: config.bucket }),
      layout: new Layout(config.prefix),
      policy: config.policy,
      ...(deps.now ? { now: deps.now() } : {}),
      dryRun,
      log,
      prefixLister: new S3PrefixLister(client, config.bucket),
      // S3-compatible servers may accept If-Match on DeleteObjects without enforcing it (Ceph RGW
      // 16 does): there, check access markers with HEAD before deleting them.
      execute: { verifyGuards: config.endpoint !== undefined },
      metrics: { dimensions: { Bucket: config.bucket, ...(config.prefix ? { Prefix: config.prefix } : {}) } },
      ...(deps.emit ? { emit: deps.emit } : {}),
      signal: controller.signal,
    });
    return report;
  } catch (err) {
    log.error('janitor failed', { error: err });
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function handler(event?: unknown, context?: LambdaContextLike): Promise<JanitorReport> {
  return runHandler(event, context ?? {});
}
