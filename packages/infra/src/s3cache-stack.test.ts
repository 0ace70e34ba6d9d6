import { App, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  allAllowStatements,
  asArray,
  flattenArn,
  iamGlob,
  mayPerform,
  normaliseTemplate,
  roleStatements,
  synthStack,
  testConfig,
} from '../test/helpers.js';
import { S3CacheStack } from './s3cache-stack.js';

const TWO_REPOS = {
  github: { action: 'my-org/s3cache@v1' },
  repositories: [
    { name: 'Octo-Org/My-Repo', capBytes: '20GiB' },
    {
      name: 'octo-org/infra',
      trustedRefs: ['refs/heads/main', 'refs/heads/release/*'],
      trustedEnvironments: ['cache-writer'],
    },
  ],
};

const VARIANTS: Record<string, Record<string, unknown>> = {
  default: {},
  'two repositories': TWO_REPOS,
  disposable: { disposable: true },
  'prefix, KMS, imported provider, immutable subjects': {
    bucket: {
      prefix: 'ci/cache',
      kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
    github: {
      oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
      subjectFormat: 'immutable',
    },
    env: { account: '123456789012', region: 'eu-west-1' },
    repositories: [{ name: 'Octo-Org/My-Repo', ownerId: 1, repositoryId: 2 }],
  },
};

describe('S3CacheStack', () => {
  it('composes bucket, OIDC provider, two roles per repository and the janitor', () => {
    const { template } = synthStack(TWO_REPOS);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    // 2 per repository, the janitor's and the schedule's.
    template.resourceCountIs('AWS::IAM::Role', 6);
  });

  it('keeps data and the provider by default', () => {
    const { template } = synthStack();
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::IAM::OIDCProvider', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('destroys everything, emptying the bucket, when disposable', () => {
    const { template } = synthStack({ disposable: true });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::IAM::OIDCProvider', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it('imports the OIDC provider, pins env and uses the KMS key when configured', () => {
    const { stack, template } = synthStack(VARIANTS['prefix, KMS, imported provider, immutable subjects']);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(stack.region).toBe('eu-west-1');
    expect(stack.account).toBe('123456789012');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: {
              Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
            },
            Condition: Match.objectLike({
              StringEquals: Match.objectLike({
                'token.actions.githubusercontent.com:sub': ['repo:Octo-Org@1/My-Repo@2:ref:refs/heads/main'],
              }),
            }),
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }),
        ],
      },
    });
  });

  it('maps the config onto lifecycle rules and the janitor policy', () => {
    const { template } = synthStack({
      ...TWO_REPOS,
      bucket: { capBytes: '500GiB' },
      retention: { deltaDays: 3, baseMaxAgeDays: 20 },
      janitor: {
        maxIdleDays: 5,
        pullRequestIdleDays: 1,
        schedule: 'rate(2 hours)',
        graceMinutes: 30,
        lowWaterRatio: 0.7,
      },
    });
    const rules = Object.values(template.findResources('AWS::S3::Bucket'))[0]?.Properties
      .LifecycleConfiguration.Rules as Array<{ Id: string; ExpirationInDays?: number }>;
    expect(Object.fromEntries(rules.map((rule) => [rule.Id, rule.ExpirationInDays]))).toEqual({
      'expire-delta-archives': 3,
      'expire-bases': 20,
      'expire-access-markers': 21,
      'expire-reports': 30,
      'abort-incomplete-multipart-uploads': undefined,
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(2 hours)' });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    expect(JSON.parse(fn?.Properties.Environment.Variables.S3CACHE_POLICY as string)).toEqual({
      repositories: { 'octo-org/my-repo': { capBytes: 20 * 2 ** 30 }, 'octo-org/infra': {} },
      bucketCapBytes: 500 * 2 ** 30,
      defaultRepositoryCapBytes: 500 * 2 ** 30,
      lowWaterRatio: 0.7,
      maxIdleDays: 5,
      pullRequestIdleDays: 1,
      graceMinutes: 30,
    });
  });

  describe('outputs', () => {
    it('gives bucket name, region and both role ARNs per repository', () => {
      const { stack, template } = synthStack(TWO_REPOS);
      template.hasOutput('BucketName', { Value: { Ref: Match.stringLikeRegexp('^CacheBucket') } });
      template.hasOutput('Region', { Value: { Ref: 'AWS::Region' } });
      for (const [name, outputId] of [
        ['Octo-Org/My-Repo', 'OctoOrgMyRepo'],
        ['octo-org/infra', 'OctoOrgInfra'],
      ] as const) {
        const roles = stack.repositories.get(name);
        if (roles === undefined) throw new Error(name);
        template.hasOutput(`WriterRoleArn${outputId}`, {
          Value: { 'Fn::GetAtt': [stack.getLogicalId(roles.writerRole.node.defaultChild as never), 'Arn'] },
        });
        template.hasOutput(`UntrustedRoleArn${outputId}`, {
          Value: {
            'Fn::GetAtt': [stack.getLogicalId(roles.untrustedRole.node.defaultChild as never), 'Arn'],
          },
        });
      }
    });

    it('gives a ready-to-paste workflow snippet per repository', () => {
      const { template } = synthStack(TWO_REPOS);
      const outputs = template.findOutputs('*');
      const snippet = flattenArn(outputs.WorkflowSnippetOctoOrgMyRepo?.Value);
      expect(snippet).toMatch(
        new RegExp(
          [
            '^permissions:',
            '  id-token: write',
            '  contents: read',
            'steps:',
            '  - uses: my-org/s3cache@v1',
            '    with:',
            '      bucket: <CacheBucket\\w+>',
            '      region: us-east-1',
            "      role-to-assume: \\$\\{\\{ github\\.event_name == 'push' && contains\\(fromJSON\\('\\[\"refs/heads/main\"\\]'\\), github\\.ref\\) && '<RepoOctoOrgMyRepoWriterRole\\w+\\.Arn>' \\|\\| '<RepoOctoOrgMyRepoUntrustedRole\\w+\\.Arn>' \\}\\}",
            '      path: <paths to cache>',
            '      key: <cache key>',
            '$',
          ].join('\n'),
        ),
      );
      const infra = flattenArn(outputs.WorkflowSnippetOctoOrgInfra?.Value);
      expect(infra).toContain(`fromJSON('["refs/heads/main"]')`);
      expect(infra).toMatch(
        /# Jobs with environment cache-writer may use role-to-assume: <RepooctoorginfraWriterRole\w+\.Arn>/,
      );
    });

    it('adds the prefix to the snippet when one is configured', () => {
      const { template } = synthStack({ bucket: { prefix: 'ci' } });
      expect(flattenArn(template.findOutputs('*').WorkflowSnippetOctoOrgMyRepo?.Value)).toContain(
        '      prefix: ci\n',
      );
    });

    it('keeps output ids unique when names collapse to the same id', () => {
      const { template } = synthStack({ repositories: [{ name: 'a-b/c' }, { name: 'a/b-c' }] });
      const ids = Object.keys(template.findOutputs('*'));
      expect(ids).toContain('WriterRoleArnABC');
      expect(ids).toContain('WriterRoleArnABC2');
    });
  });

  describe('security invariants across the whole template', () => {
    it.each(Object.keys(VARIANTS))('no ForAllValues in any Allow statement (%s)', (variant) => {
      for (const statement of allAllowStatements(synthStack(VARIANTS[variant]).template)) {
        for (const operator of Object.keys(statement.Condition ?? {}))
          expect(operator).not.toMatch(/^ForAllValues:/i);
      }
    });

    it('no role may list the bucket without a prefix condition', () => {
      const { stack, template } = synthStack(TWO_REPOS);
      for (const roles of stack.repositories.values()) {
        for (const role of [roles.writerRole, roles.untrustedRole]) {
          const statements = roleStatements(template, stack.getLogicalId(role.node.defaultChild as never));
          const listing = statements.filter((statement) =>
            asArray(statement.Action).some((action) => iamGlob(action, 's3:ListBucket', true)),
          );
          expect(listing).toHaveLength(1);
          for (const statement of listing) {
            expect(statement.Condition?.StringLike?.['s3:prefix']).toBeDefined();
          }
        }
      }
    });

    it('no untrusted role of any repository may write any default-branch scope', () => {
      const { stack, template } = synthStack(TWO_REPOS);
      for (const [name, roles] of stack.repositories) {
        const root = name.toLowerCase();
        const statements = roleStatements(
          template,
          stack.getLogicalId(roles.untrustedRole.node.defaultChild as never),
        );
        for (const other of ['octo-org/my-repo', 'octo-org/infra']) {
          expect(
            mayPerform(
              statements,
              's3:PutObject',
              `arn:aws:s3:::BUCKET/${other}/heads/main/v/k/manifest.json`,
            ),
          ).toBe(false);
        }
        expect(
          mayPerform(
            statements,
            's3:PutObject',
            `arn:aws:s3:::BUCKET/${root}/pull/1%2Fmerge/v/k/manifest.json`,
          ),
        ).toBe(true);
      }
    });
  });
});

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** Every finding cdk-nag would report if nothing were acknowledged. */
function rawFindings(app: App): Array<{ rule: string; path: string }> {
  const pack = new AwsSolutionsChecks(app);
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      path: resource.constructPath ?? '',
    })),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.keys(VARIANTS))('has zero unacknowledged findings (%s)', (variant) => {
    const { app } = synthStack(VARIANTS[variant]);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it.each(Object.keys(VARIANTS))(
    'acknowledges only real findings, each with a specific reason (%s)',
    (variant) => {
      const { app } = synthStack(VARIANTS[variant]);
      const findings = rawFindings(app);
      const acks = acknowledgements(app);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        const covered = findings.some(
          (finding) =>
            finding.rule === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
        );
        expect(covered, `stale acknowledgement ${ack.id} on ${ack.path}`).toBe(true);
        expect(ack.reason.length, ack.id).toBeGreaterThan(60);
      }
      // Only the expected kinds of findings are acknowledged at all.
      expect([...new Set(acks.map((ack) => ack.id.replace(/\[.*$/, '')))].sort()).toEqual([
        'AwsSolutions-IAM5',
        'AwsSolutions-S1',
      ]);
      // IAM5 is acknowledged per resource, never for the rule as a whole.
      for (const ack of acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5'))) {
        expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\*.*\]$/);
      }
    },
  );

  it('fails synthesis when a finding is not acknowledged (so the zero-findings check has teeth)', () => {
    const app = new App({ analyticsReporting: false });
    const stack = new S3CacheStack(app, 'S3Cache', { config: testConfig() });
    new s3.Bucket(stack, 'Unacknowledged');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrowError(/AwsSolutions-S1/);
  });

  it('passes as a registered validation plugin during synthesis', () => {
    const app = new App({ analyticsReporting: false });
    new S3CacheStack(app, 'S3Cache', { config: testConfig(TWO_REPOS) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrowError();
  });
});

describe('snapshot', () => {
  it('matches the reviewed template (asset hashes normalised)', () => {
    const { template } = synthStack(TWO_REPOS);
    expect(normaliseTemplate(template)).toMatchSnapshot();
  });

  it('normalises every asset hash', () => {
    const { template } = synthStack();
    const text = JSON.stringify(normaliseTemplate(template));
    expect(text).toContain('"S3Key":"<asset-hash>.zip"');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });
});
