import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { BucketRef } from './bucket-ref.js';
import { janitorCode } from './janitor-code.js';
import { checkRepositoryName, keyPrefix, ObjectType, reservedRoot } from './layout.js';
import { acknowledgeWildcardResources } from './nag.js';

/** One repository's entry in the janitor policy. */
export interface JanitorRepositoryPolicy {
  /** Size cap of the repository's prefix, in bytes. Absent: only the bucket cap applies. */
  readonly capBytes?: number;
}

/**
 * The policy handed to the janitor as JSON in `S3CACHE_POLICY`. This shape is the contract with
 * packages/janitor-lambda.
 */
export interface JanitorPolicy {
  /** Keyed by lower-cased `owner/repo` (as the object keys spell it). */
  readonly repositories: Readonly<Record<string, JanitorRepositoryPolicy>>;
  /** Size cap of the whole cache, in bytes. */
  readonly bucketCapBytes: number;
  /**
   * Cap of each repository without its own `capBytes`, in bytes. Always written to the JSON,
   * because the janitor's own default (10 GiB) would otherwise apply.
   * @default bucketCapBytes (no separate per-repository limit)
   */
  readonly defaultRepositoryCapBytes?: number;
  /** When over a cap, evict down to `cap * lowWaterRatio` (0 < ratio <= 1). */
  readonly lowWaterRatio: number;
  /** Entries not restored for longer than this are expired. */
  readonly maxIdleDays: number;
  /** Pull-request entries (scope `pull/`) not restored for longer than this are expired. */
  readonly pullRequestIdleDays: number;
  /** Objects younger than this are never touched (in-flight uploads and restores). */
  readonly graceMinutes: number;
}

export interface JanitorProps {
  /** The cache bucket. */
  readonly bucket: BucketRef;
  /**
   * The bucket's KMS key, when it uses SSE-KMS.
   * @default - SSE-S3, no KMS permissions
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Bucket key prefix (`P` in docs/layout.md), without trailing slash.
   * @default ''
   */
  readonly prefix?: string;
  /** Caps, idle times and grace period (see {@link JanitorPolicy}). */
  readonly policy: JanitorPolicy;
  /**
   * When the janitor runs (EventBridge Scheduler).
   * @default ScheduleExpression.rate(Duration.hours(6))
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * Function memory in MB (also buys CPU and network bandwidth for large listings).
   * @default 2048 (a 1,000,000-object plan peaks near 850 MB)
   */
  readonly memorySize?: number;
  /**
   * Function timeout.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The function code.
   * @default janitorCode(): packages/janitor-lambda/src/handler.ts bundled with esbuild
   */
  readonly code?: lambda.Code;
  /**
   * Actions run when the error alarm fires (e.g. an SNS topic).
   * @default []
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

// Lambda caps the whole environment at 4 KB; leave room for the other variables.
const MAX_POLICY_BYTES = 3500;

/**
 * The scheduled janitor: one Lambda function (never two at once: reserved concurrency 1) run by
 * EventBridge Scheduler, allowed to list, read and delete under the cache prefix and to write
 * reports under `_s3cache/` only, with a log group of bounded retention and an alarm on errors.
 */
export class Janitor extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly schedule: scheduler.Schedule;
  readonly errorAlarm: cloudwatch.Alarm;
  /** The exact JSON given in `S3CACHE_POLICY`. */
  readonly policyJson: string;

  constructor(scope: Construct, id: string, props: JanitorProps) {
    super(scope, id);
    const prefix = props.prefix ?? '';
    const objectsPrefix = keyPrefix(prefix);
    this.policyJson = JSON.stringify(normalisePolicy(props.policy));
    if (Buffer.byteLength(this.policyJson) > MAX_POLICY_BYTES) {
      throw new Error(
        `Janitor: the policy JSON is ${Buffer.byteLength(this.policyJson)} bytes; Lambda environments are limited to 4 KB. ` +
          'Configure fewer repositories per stack.',
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An explicit role instead of the default one: the default attaches the
    // AWSLambdaBasicExecutionRole managed policy, which may write to any log group.
    this.role = new iam.Role(this, 'Role', {
      description: 's3cache janitor: list, read and delete cache objects, write reports under _s3cache/',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(this.role);

    const bucket = props.bucket;
    const allObjects = bucket.arnForObjects(`${objectsPrefix}*`);
    const reports = bucket.arnForObjects(`${reservedRoot(prefix)}/*`);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListCache',
        actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucket.bucketArn],
        ...(objectsPrefix === ''
          ? {}
          : { conditions: { StringLike: { 's3:prefix': [objectsPrefix, `${objectsPrefix}*`] } } }),
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndEvictCacheObjects',
        actions: ['s3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [allObjects],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteReports',
        actions: ['s3:PutObject'],
        resources: [reports],
        conditions: { StringEquals: { 's3:RequestObjectTag/type': ObjectType.report } },
      }),
    );
    if (props.encryptionKey !== undefined) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'UseBucketKeyViaS3',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    acknowledgeWildcardResources(this.role, [
      [
        allObjects,
        'The janitor reads manifests and evicts entries, orphans and stale multipart uploads of every repository ' +
          `under the cache prefix "${objectsPrefix}" of this one bucket; their keys are known only from its listing.`,
      ],
      [
        reports,
        `The janitor writes one timestamped report per run (type=report only) under ${reservedRoot(prefix)}/, the ` +
          'reserved area no repository role can reach.',
      ],
    ]);

    this.function = new lambda.Function(this, 'Function', {
      description: 's3cache janitor: TTLs, LRU eviction under size caps, orphan sweep',
      code: props.code ?? janitorCode(),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 2048,
      timeout: props.timeout ?? Duration.minutes(15),
      reservedConcurrentExecutions: 1,
      // A failed run is not retried: the next scheduled run starts from a fresh listing.
      retryAttempts: 0,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        S3CACHE_BUCKET: bucket.bucketName,
        S3CACHE_PREFIX: prefix,
        S3CACHE_POLICY: this.policyJson,
      },
    });

    const stack = Stack.of(this);
    const schedulerRole = new iam.Role(this, 'ScheduleRole', {
      description: 's3cache janitor schedule: invoke the janitor function',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs the s3cache janitor',
      schedule: props.schedule ?? scheduler.ScheduleExpression.rate(Duration.hours(6)),
      target: new targets.LambdaInvoke(this.function, { role: schedulerRole, retryAttempts: 0 }),
    });
    acknowledgeWildcardResources(schedulerRole, [
      [
        `${this.function.functionArn}:*`,
        'The scheduler role may invoke only the janitor function; grantInvoke adds its versions and aliases ' +
          '(function:*), of which the stack creates none.',
      ],
    ]);

    this.errorAlarm = new cloudwatch.Alarm(this, 'ErrorAlarm', {
      alarmDescription:
        'The s3cache janitor failed: the cache may grow past its caps until it runs cleanly again.',
      metric: this.function.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const action of props.alarmActions ?? []) this.errorAlarm.addAlarmAction(action);
  }
}

function normalisePolicy(policy: JanitorPolicy): Required<JanitorPolicy> {
  const repositories: Record<string, JanitorRepositoryPolicy> = {};
  for (const [name, entry] of Object.entries(policy.repositories)) {
    const problem = checkRepositoryName(name);
    if (problem !== undefined) throw new Error(`Janitor: ${problem}`);
    const key = name.toLowerCase();
    if (key in repositories) throw new Error(`Janitor: repository ${key} is listed twice`);
    if (entry.capBytes !== undefined) assertPositiveInteger(`${key} capBytes`, entry.capBytes);
    repositories[key] = entry.capBytes === undefined ? {} : { capBytes: entry.capBytes };
  }
  assertPositiveInteger('bucketCapBytes', policy.bucketCapBytes);
  const defaultRepositoryCapBytes = policy.defaultRepositoryCapBytes ?? policy.bucketCapBytes;
  assertPositiveInteger('defaultRepositoryCapBytes', defaultRepositoryCapBytes);
  if (!(policy.lowWaterRatio > 0 && policy.lowWaterRatio <= 1)) {
    throw new Error(`Janitor: lowWaterRatio must be in (0, 1], got ${policy.lowWaterRatio}`);
  }
  assertPositiveInteger('maxIdleDays', policy.maxIdleDays);
  assertPositiveInteger('pullRequestIdleDays', policy.pullRequestIdleDays);
  if (!Number.isInteger(policy.graceMinutes) || policy.graceMinutes < 0) {
    throw new Error(`Janitor: graceMinutes must be a non-negative integer, got ${policy.graceMinutes}`);
  }
  return {
    repositories,
    bucketCapBytes: policy.bucketCapBytes,
    defaultRepositoryCapBytes,
    lowWaterRatio: policy.lowWaterRatio,
    maxIdleDays: policy.maxIdleDays,
    pullRequestIdleDays: policy.pullRequestIdleDays,
    graceMinutes: policy.graceMinutes,
  };
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`Janitor: ${name} must be a positive integer, got ${value}`);
  }
}
