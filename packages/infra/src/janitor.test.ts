import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readConfig } from '@s3cache/janitor-lambda';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it } from 'vitest';
import { asArray, BUCKET_ARN, flattenArn, mayPerform, roleStatements } from '../test/helpers.js';
import { Janitor, type JanitorPolicy, type JanitorProps } from './janitor.js';
import { DEFAULT_JANITOR_ENTRY, janitorCode } from './janitor-code.js';

const POLICY: JanitorPolicy = {
  repositories: { 'Octo-Org/My-Repo': { capBytes: 10 * 2 ** 30 }, 'octo-org/other': {} },
  bucketCapBytes: 100 * 2 ** 30,
  lowWaterRatio: 0.8,
  maxIdleDays: 7,
  pullRequestIdleDays: 3,
  graceMinutes: 60,
};

const INLINE_CODE = lambda.Code.fromInline('export const handler = async () => ({ ok: true });');

function build(
  props: Partial<JanitorProps> = {},
  app = new App(),
): { stack: Stack; janitor: Janitor; template: Template } {
  const stack = new Stack(app, 'Test');
  const bucket = new s3.Bucket(stack, 'CacheBucket');
  const janitor = new Janitor(stack, 'Janitor', { bucket, policy: POLICY, code: INLINE_CODE, ...props });
  return { stack, janitor, template: Template.fromStack(stack) };
}

const roleId = (stack: Stack, role: iam.Role) => stack.getLogicalId(role.node.defaultChild as iam.CfnRole);

describe('Janitor function', () => {
  it('runs Node.js 24 on arm64 with 1 GB, 15 minutes and never two at once', () => {
    build().template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 2048,
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      Handler: 'index.handler',
    });
  });

  it('does not retry a failed run', () => {
    build().template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      Qualifier: '$LATEST',
    });
  });

  it('passes bucket, prefix and policy in the environment', () => {
    const { template } = build({ prefix: 'ci' });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(variables).sort()).toEqual(['S3CACHE_BUCKET', 'S3CACHE_POLICY', 'S3CACHE_PREFIX']);
    expect(variables.S3CACHE_BUCKET).toEqual({ Ref: expect.stringMatching(/^CacheBucket/) });
    expect(variables.S3CACHE_PREFIX).toBe('ci');
    expect(JSON.parse(variables.S3CACHE_POLICY as string)).toEqual({
      repositories: { 'octo-org/my-repo': { capBytes: 10737418240 }, 'octo-org/other': {} },
      bucketCapBytes: 107374182400,
      defaultRepositoryCapBytes: 107374182400,
      lowWaterRatio: 0.8,
      maxIdleDays: 7,
      pullRequestIdleDays: 3,
      graceMinutes: 60,
    });
  });

  it('writes a policy the janitor accepts, with the same meaning (contract with janitor-lambda)', () => {
    const { janitor } = build({
      prefix: 'ci',
      policy: { ...POLICY, defaultRepositoryCapBytes: 5 * 2 ** 30 },
    });
    const config = readConfig({
      S3CACHE_BUCKET: 'my-cache-bucket',
      S3CACHE_PREFIX: 'ci',
      S3CACHE_POLICY: janitor.policyJson,
    });
    expect(config.prefix).toBe('ci');
    expect(config.policy).toMatchObject({
      repositories: { 'octo-org/my-repo': { capBytes: 10 * 2 ** 30 }, 'octo-org/other': {} },
      bucketCapBytes: 100 * 2 ** 30,
      defaultRepositoryCapBytes: 5 * 2 ** 30,
      lowWaterRatio: 0.8,
      maxIdleDays: 7,
      pullRequestIdleDays: 3,
      graceMinutes: 60,
    });
  });

  it('honours memory and timeout props', () => {
    build({ memorySize: 2048, timeout: Duration.minutes(5) }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { MemorySize: 2048, Timeout: 300 },
    );
  });

  it('logs JSON to its own log group with a retention', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^JanitorLogGroup') } },
    });
  });

  it.each<[string, Partial<JanitorPolicy>, string]>([
    ['a bad repository', { repositories: { 'no-slash': {} } }, 'must be written "owner/repo"'],
    ['a duplicate repository', { repositories: { 'o/r': {}, 'O/R': {} } }, 'repository o/r is listed twice'],
    ['a fractional cap', { bucketCapBytes: 1.5 }, 'bucketCapBytes must be a positive integer'],
    ['a low-water ratio above 1', { lowWaterRatio: 2 }, 'lowWaterRatio must be in (0, 1]'],
    ['a negative grace', { graceMinutes: -1 }, 'graceMinutes must be a non-negative integer'],
  ])('refuses %s', (_title, policy, message) => {
    expect(() => build({ policy: { ...POLICY, ...policy } })).toThrowError(message);
  });

  it('refuses a policy too large for the Lambda environment', () => {
    const repositories = Object.fromEntries(
      Array.from({ length: 120 }, (_, i) => [
        `some-organisation/repository-number-${i}`,
        { capBytes: 2 ** 30 },
      ]),
    );
    expect(() => build({ policy: { ...POLICY, repositories } })).toThrowError(
      /Lambda environments are limited to 4 KB/,
    );
  });
});

describe('Janitor schedule and alarm', () => {
  it('runs every 6 hours by default through EventBridge Scheduler, without retries', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JanitorFunction'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JanitorScheduleRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });
  });

  it('takes a configured schedule', () => {
    build({
      schedule: scheduler.ScheduleExpression.expression('cron(0 3 * * ? *)'),
    }).template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
    });
  });

  it('lets the scheduler invoke only the janitor, from this account', () => {
    const { stack, janitor, template } = build();
    const scheduleRole = template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('schedule') },
    });
    const [id, role] = Object.entries(scheduleRole)[0] ?? [];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': expect.anything(),
          },
        },
      },
    ]);
    const statements = roleStatements(template, id ?? '');
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('lambda:InvokeFunction');
    const fnId = stack.getLogicalId(janitor.function.node.defaultChild as lambda.CfnFunction);
    expect(asArray(statements[0]?.Resource).map((resource) => flattenArn(resource))).toEqual([
      `<${fnId}.Arn>`,
      `<${fnId}.Arn>:*`,
    ]);
  });

  it('alarms on any error within an hour', () => {
    build().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^JanitorFunction') } }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('Janitor permissions', () => {
  it('has exactly: list, read/evict, write reports, write its own logs; no managed policy', () => {
    const { stack, janitor, template } = build();
    const statements = roleStatements(template, roleId(stack, janitor.role));
    expect(
      statements.map((statement) => ({
        ...statement,
        Resource: asArray(statement.Resource).map((resource) => flattenArn(resource)),
      })),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [expect.stringMatching(/^<JanitorLogGroup\w+\.Arn>$/)],
      },
      {
        Sid: 'ListCache',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [BUCKET_ARN],
      },
      {
        Sid: 'ReadAndEvictCacheObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: [`${BUCKET_ARN}/*`],
      },
      {
        Sid: 'WriteReports',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: [`${BUCKET_ARN}/_s3cache/*`],
        Condition: { StringEquals: { 's3:RequestObjectTag/type': 'report' } },
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('writes only reports, never cache entries', () => {
    const { stack, janitor, template } = build();
    const statements = roleStatements(template, roleId(stack, janitor.role));
    expect(mayPerform(statements, 's3:PutObject', `${BUCKET_ARN}/_s3cache/reports/1.json`)).toBe(true);
    expect(mayPerform(statements, 's3:PutObject', `${BUCKET_ARN}/o/r/heads/main/v/k/manifest.json`)).toBe(
      false,
    );
    expect(mayPerform(statements, 's3:DeleteObject', `${BUCKET_ARN}/o/r/heads/main/v/k/manifest.json`)).toBe(
      true,
    );
  });

  it('stays under the bucket prefix', () => {
    const { stack, janitor, template } = build({ prefix: 'ci/cache' });
    const statements = roleStatements(template, roleId(stack, janitor.role));
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    expect(bySid.ListCache?.Condition).toEqual({ StringLike: { 's3:prefix': ['ci/cache/', 'ci/cache/*'] } });
    expect(flattenArn(bySid.ReadAndEvictCacheObjects?.Resource)).toBe(`${BUCKET_ARN}/ci/cache/*`);
    expect(flattenArn(bySid.WriteReports?.Resource)).toBe(`${BUCKET_ARN}/ci/cache/_s3cache/*`);
  });
});

describe('janitor bundling', () => {
  function bundle(code: lambda.Code): string {
    const outdir = mkdtempSync(join(tmpdir(), 's3cache-janitor-'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const { template } = build({ code }, app);
    app.synth();
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const assetPath = fn?.Metadata?.['aws:asset:path'] as string;
    return join(outdir, assetPath);
  }

  it('bundles a TypeScript entry and its imports with the local esbuild (no Docker)', async () => {
    const entry = fileURLToPath(new URL('../test/fixtures/janitor/src/handler.ts', import.meta.url));
    const dir = bundle(janitorCode({ entry }));
    const module = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
      handler: () => Promise<unknown>;
    };
    await expect(module.handler()).resolves.toEqual({ ok: true, greeting: 'hello janitor' });
  });

  it('bundles packages/janitor-lambda by default into index.mjs exporting handler', async () => {
    expect(existsSync(DEFAULT_JANITOR_ENTRY)).toBe(true);
    const dir = bundle(janitorCode());
    const module = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler?: unknown };
    expect(typeof module.handler).toBe('function');
  });

  it('refuses a missing entry', () => {
    expect(() => janitorCode({ entry: '/nonexistent/handler.ts' })).toThrowError('does not exist');
  });
});
