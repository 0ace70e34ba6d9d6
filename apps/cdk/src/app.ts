import { type S3CacheConfig, S3CacheStack } from '@s3cache/infra';
import { App, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';

export interface BuildAppOptions {
  /** The validated configuration (`loadConfig`). */
  readonly config: S3CacheConfig;
  /**
   * Cloud assembly directory.
   * @default - the CLI's (CDK_OUTDIR), or a temporary directory
   */
  readonly outdir?: string;
  /**
   * Janitor code override (tests).
   * @default - packages/janitor-lambda bundled at synth time
   */
  readonly janitorCode?: lambda.Code;
}

/**
 * The s3cache app: one stack, checked by cdk-nag's AwsSolutions pack during synthesis (any
 * unacknowledged finding fails `cdk synth` and `cdk deploy`).
 */
export function buildApp(options: BuildAppOptions): { app: App; stack: S3CacheStack } {
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  const stack = new S3CacheStack(app, options.config.stackName, {
    config: options.config,
    ...(options.janitorCode === undefined ? {} : { janitorCode: options.janitorCode }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
