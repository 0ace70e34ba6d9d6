import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { CacheBucket } from './cache-bucket.js';
import type { S3CacheConfig } from './config.js';
import { GithubOidcAccess } from './github-oidc-access.js';
import { Janitor, type JanitorRepositoryPolicy } from './janitor.js';
import { RepositoryCacheRoles } from './repository-cache-roles.js';
import { workflowSnippet } from './workflow-snippet.js';

export interface S3CacheStackProps extends StackProps {
  /** The validated deployment configuration (see `loadConfig`). */
  readonly config: S3CacheConfig;
  /**
   * Janitor code, for tests or a pre-built bundle.
   * @default - packages/janitor-lambda bundled with esbuild at synth time
   */
  readonly janitorCode?: lambda.Code;
}

/** The whole s3cache deployment: bucket, GitHub OIDC access, two roles per repository, janitor. */
export class S3CacheStack extends Stack {
  readonly cacheBucket: CacheBucket;
  readonly githubOidc: GithubOidcAccess;
  /** Keyed by `owner/repo` as configured. */
  readonly repositories: ReadonlyMap<string, RepositoryCacheRoles>;
  readonly janitor: Janitor;

  constructor(scope: Construct, id: string, props: S3CacheStackProps) {
    const { config } = props;
    super(scope, id, {
      description: 's3cache: S3-backed cache for GitHub Actions (bucket, GitHub OIDC roles, janitor)',
      // Without env the stack is environment-agnostic: synth needs no credentials or lookups.
      ...(config.env === undefined ? {} : { env: config.env }),
      ...props,
    });
    const removalPolicy = config.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const prefix = config.bucket.prefix;
    const encryptionKey =
      config.bucket.kmsKeyArn === undefined
        ? undefined
        : kms.Key.fromKeyArn(this, 'CacheKey', config.bucket.kmsKeyArn);
    const keyProps = encryptionKey === undefined ? {} : { encryptionKey };

    this.cacheBucket = new CacheBucket(this, 'CacheBucket', {
      ...(config.bucket.name === undefined ? {} : { bucketName: config.bucket.name }),
      prefix,
      ...keyProps,
      lifecycle: {
        deltaArchiveExpiration: Duration.days(config.retention.deltaDays),
        baseExpiration: Duration.days(config.retention.baseMaxAgeDays),
        accessMarkerExpiration: Duration.days(config.retention.accessMarkerDays),
        reportExpiration: Duration.days(config.retention.reportDays),
      },
      removalPolicy,
      autoDeleteObjects: config.disposable,
    });
    const bucket = this.cacheBucket.bucket;

    this.githubOidc = new GithubOidcAccess(this, 'GithubOidc', {
      ...(config.github.oidcProviderArn === undefined
        ? {}
        : { existingProviderArn: config.github.oidcProviderArn }),
      removalPolicy,
    });

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'The cache bucket' });
    new CfnOutput(this, 'Region', { value: this.region, description: 'Region of the cache bucket' });

    const repositories = new Map<string, RepositoryCacheRoles>();
    const janitorRepositories: Record<string, JanitorRepositoryPolicy> = {};
    const outputIds = new Set<string>();
    for (const repo of config.repositories) {
      const roles = new RepositoryCacheRoles(this, `Repo-${repo.name.replace('/', ':')}`, {
        bucket,
        ...keyProps,
        prefix,
        oidcProvider: this.githubOidc.provider,
        repository: repo.name,
        subjectFormat: repo.subjectFormat,
        defaultBranch: repo.defaultBranch,
        trustedRefs: repo.trustedRefs,
        trustedEnvironments: repo.trustedEnvironments,
        trustedSubjects: repo.trustedSubjects,
      });
      repositories.set(repo.name, roles);
      janitorRepositories[repo.name.toLowerCase()] =
        repo.capBytes === undefined ? {} : { capBytes: repo.capBytes };

      const outputId = uniqueId(outputIds, pascalCase(repo.name));
      new CfnOutput(this, `WriterRoleArn${outputId}`, {
        value: roles.writerRole.roleArn,
        description: `${repo.name}: role for trusted refs/environments (read, write, delete)`,
      });
      new CfnOutput(this, `UntrustedRoleArn${outputId}`, {
        value: roles.untrustedRole.roleArn,
        description: `${repo.name}: role for pull requests and other refs (read; write pull/ and access/ only)`,
      });
      new CfnOutput(this, `WorkflowSnippet${outputId}`, {
        description: `${repo.name}: workflow fragment using the cache`,
        value: workflowSnippet({
          action: config.github.action,
          bucketName: bucket.bucketName,
          region: this.region,
          prefix,
          writerRoleArn: roles.writerRole.roleArn,
          untrustedRoleArn: roles.untrustedRole.roleArn,
          trustedRefs: repo.trustedRefs,
          trustedEnvironments: repo.trustedEnvironments,
        }),
      });
    }
    this.repositories = repositories;

    this.janitor = new Janitor(this, 'Janitor', {
      bucket,
      ...keyProps,
      prefix,
      policy: {
        repositories: janitorRepositories,
        bucketCapBytes: config.bucket.capBytes,
        defaultRepositoryCapBytes: config.bucket.defaultRepositoryCapBytes,
        lowWaterRatio: config.janitor.lowWaterRatio,
        maxIdleDays: config.janitor.maxIdleDays,
        pullRequestIdleDays: config.janitor.pullRequestIdleDays,
        graceMinutes: config.janitor.graceMinutes,
      },
      schedule: scheduler.ScheduleExpression.expression(config.janitor.schedule),
      memorySize: config.janitor.memoryMiB,
      logRetention: config.janitor.logRetentionDays,
      logRemovalPolicy: removalPolicy,
      ...(props.janitorCode === undefined ? {} : { code: props.janitorCode }),
    });
  }
}

function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function uniqueId(seen: Set<string>, base: string): string {
  let id = base;
  for (let n = 2; seen.has(id.toLowerCase()); n++) id = `${base}${n}`;
  seen.add(id.toLowerCase());
  return id;
}
