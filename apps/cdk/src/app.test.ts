import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@s3cache/infra';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';

const CONFIG_PATH = fileURLToPath(new URL('../s3cache.config.json', import.meta.url));

describe('the s3cache app', () => {
  it('ships a valid config file', () => {
    const config = loadConfig(CONFIG_PATH);
    expect(config.repositories.map((repo) => repo.name)).toEqual(['my-org/web-app', 'my-org/platform']);
  });

  it('synthesises in-process, offline, without credentials, and passes cdk-nag', () => {
    const outdir = mkdtempSync(join(tmpdir(), 's3cache-app-'));
    const { app, stack } = buildApp({ config: loadConfig(CONFIG_PATH), outdir });
    // The registered AwsSolutions plugin throws here on any unacknowledged finding.
    const assembly = app.synth();

    const artifact = assembly.getStackByName('S3Cache');
    // Environment-agnostic: no account or region, so no lookups and no credentials.
    expect(artifact.environment.account).toBe('unknown-account');
    expect(artifact.environment.region).toBe('unknown-region');
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);

    const template = Template.fromJSON(JSON.parse(readFileSync(join(outdir, artifact.templateFile), 'utf8')));
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
              StringLike: {
                'token.actions.githubusercontent.com:sub': [
                  'repo:my-org/platform:ref:refs/heads/main',
                  'repo:my-org/platform:ref:refs/heads/release/*',
                  'repo:my-org/platform:environment:cache-writer',
                ],
              },
            },
          }),
        ],
      },
    });
    const outputs = Object.keys(template.findOutputs('*')).sort();
    expect(outputs).toEqual([
      'BucketName',
      'Region',
      'UntrustedRoleArnMyOrgPlatform',
      'UntrustedRoleArnMyOrgWebApp',
      'WorkflowSnippetMyOrgPlatform',
      'WorkflowSnippetMyOrgWebApp',
      'WriterRoleArnMyOrgPlatform',
      'WriterRoleArnMyOrgWebApp',
    ]);
    expect(stack.janitor.policyJson).toContain('"my-org/web-app":{"capBytes":53687091200}');

    // The janitor bundle is in the assembly.
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets.filter((name) => existsSync(join(outdir, name, 'index.mjs')))).toHaveLength(1);

    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };
    expect(report.pluginReports).toEqual([]);
  });

  it('fails synthesis on an unacknowledged cdk-nag finding', () => {
    const { app, stack } = buildApp({
      config: loadConfig(CONFIG_PATH),
      outdir: mkdtempSync(join(tmpdir(), 's3cache-app-')),
    });
    new s3.Bucket(stack, 'UnloggedBucket', { enforceSSL: true });
    expect(() => app.synth()).toThrowError(/AwsSolutions-S1/);
  });
});
