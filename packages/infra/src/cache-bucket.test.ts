import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { emptyStack } from '../test/helpers.js';
import { CacheBucket, type CacheBucketProps } from './cache-bucket.js';

function bucketTemplate(props: CacheBucketProps = {}): { template: Template; construct: CacheBucket } {
  const stack = emptyStack();
  const construct = new CacheBucket(stack, 'CacheBucket', props);
  return { template: Template.fromStack(stack), construct };
}

type Rule = Record<string, unknown>;

function lifecycleRules(template: Template): Rule[] {
  const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
  expect(buckets).toHaveLength(1);
  return buckets[0]?.Properties.LifecycleConfiguration.Rules as Rule[];
}

function ruleById(template: Template, id: string): Rule {
  const rule = lifecycleRules(template).find((candidate) => candidate.Id === id);
  if (rule === undefined) throw new Error(`no lifecycle rule ${id}`);
  return rule;
}

describe('CacheBucket', () => {
  it('blocks all public access', () => {
    bucketTemplate().template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('enforces bucket-owner ownership (no ACLs)', () => {
    bucketTemplate().template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it('leaves versioning off so deletes free bytes at once', () => {
    bucketTemplate().template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: Match.absent(),
    });
  });

  it('encrypts with S3-managed keys by default', () => {
    bucketTemplate().template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('encrypts with a given KMS key and a bucket key', () => {
    const stack = emptyStack();
    const key = kms.Key.fromKeyArn(
      stack,
      'Key',
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    new CacheBucket(stack, 'CacheBucket', { encryptionKey: key });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            },
          },
        ],
      },
    });
  });

  it('denies every request without TLS, and TLS below 1.2', () => {
    const { template } = bucketTemplate();
    const bucketArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheBucket'), 'Arn'] };
    const resources = [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }];
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: resources,
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: resources,
          },
        ]),
      },
    });
  });

  it('is retained by default, without auto-deletion', () => {
    const { template } = bucketTemplate();
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('is destroyed and emptied when disposable', () => {
    const { template } = bucketTemplate({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it('refuses auto-deletion of a retained bucket', () => {
    expect(() => bucketTemplate({ autoDeleteObjects: true })).toThrowError(
      'CacheBucket: autoDeleteObjects requires removalPolicy DESTROY',
    );
  });

  describe('lifecycle rules', () => {
    it('expires delta archives after the delta retention (default 7 days)', () => {
      expect(ruleById(bucketTemplate().template, 'expire-delta-archives')).toEqual({
        Id: 'expire-delta-archives',
        Status: 'Enabled',
        TagFilters: [{ Key: 'type', Value: 'delta-archive' }],
        ExpirationInDays: 7,
      });
    });

    it('expires bases after the base max age (default 30 days)', () => {
      expect(ruleById(bucketTemplate().template, 'expire-bases')).toEqual({
        Id: 'expire-bases',
        Status: 'Enabled',
        TagFilters: [{ Key: 'type', Value: 'base' }],
        ExpirationInDays: 30,
      });
    });

    it('expires access markers one day after the base max age by default', () => {
      expect(ruleById(bucketTemplate().template, 'expire-access-markers')).toEqual({
        Id: 'expire-access-markers',
        Status: 'Enabled',
        TagFilters: [{ Key: 'type', Value: 'access-marker' }],
        ExpirationInDays: 31,
      });
      const custom = bucketTemplate({ lifecycle: { baseExpiration: Duration.days(45) } }).template;
      expect(ruleById(custom, 'expire-access-markers').ExpirationInDays).toBe(46);
    });

    it('expires reports after 30 days', () => {
      expect(ruleById(bucketTemplate().template, 'expire-reports')).toEqual({
        Id: 'expire-reports',
        Status: 'Enabled',
        TagFilters: [{ Key: 'type', Value: 'report' }],
        ExpirationInDays: 30,
      });
    });

    it('aborts incomplete multipart uploads after 1 day in its own unfiltered rule', () => {
      expect(ruleById(bucketTemplate().template, 'abort-incomplete-multipart-uploads')).toEqual({
        Id: 'abort-incomplete-multipart-uploads',
        Status: 'Enabled',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      });
    });

    it('applies configured ages', () => {
      const { template } = bucketTemplate({
        lifecycle: {
          deltaArchiveExpiration: Duration.days(3),
          baseExpiration: Duration.days(14),
          accessMarkerExpiration: Duration.days(20),
          reportExpiration: Duration.days(10),
          abortIncompleteMultipartUploadAfter: Duration.days(2),
        },
      });
      expect(
        Object.fromEntries(
          lifecycleRules(template).map((rule) => [
            rule.Id,
            rule.ExpirationInDays ??
              (rule.AbortIncompleteMultipartUpload as { DaysAfterInitiation: number }).DaysAfterInitiation,
          ]),
        ),
      ).toEqual({
        'expire-delta-archives': 3,
        'expire-bases': 14,
        'expire-access-markers': 20,
        'expire-reports': 10,
        'abort-incomplete-multipart-uploads': 2,
      });
    });

    it('limits tag-filtered rules to the cache prefix, never the abort rule', () => {
      const rules = lifecycleRules(bucketTemplate({ prefix: 'ci/cache' }).template);
      for (const rule of rules) {
        if (rule.Id === 'abort-incomplete-multipart-uploads') expect(rule.Prefix).toBeUndefined();
        else expect(rule.Prefix).toBe('ci/cache/');
      }
    });

    // S3 rejects such a rule at deploy time only; synth and cdk-nag accept it.
    it.each([{}, { prefix: 'ci' }])(
      'never mixes a tag filter with AbortIncompleteMultipartUpload (%j)',
      (props) => {
        const rules = lifecycleRules(bucketTemplate(props).template);
        expect(rules.length).toBe(5);
        for (const rule of rules) {
          const filtered = rule.TagFilters !== undefined || rule.Filter !== undefined;
          expect(
            filtered && rule.AbortIncompleteMultipartUpload !== undefined,
            `rule ${String(rule.Id)}`,
          ).toBe(false);
          if (rule.AbortIncompleteMultipartUpload !== undefined) {
            expect(rule.Prefix, `rule ${String(rule.Id)}`).toBeUndefined();
          }
        }
      },
    );
  });

  describe('server access logs', () => {
    const acknowledged = (construct: CacheBucket): string[] =>
      construct.bucket.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.keys(entry.data as object));

    it('acknowledges AwsSolutions-S1 when there is no log bucket', () => {
      expect(acknowledged(bucketTemplate().construct).join()).toMatch(/AwsSolutions-S1$/);
    });

    it('logs to a given bucket and then acknowledges nothing', () => {
      const stack = emptyStack();
      const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'access-logs');
      const construct = new CacheBucket(stack, 'CacheBucket', {
        serverAccessLogsBucket: logs,
        serverAccessLogsPrefix: 's3cache/',
      });
      Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: 'access-logs', LogFilePrefix: 's3cache/' },
      });
      expect(acknowledged(construct)).toEqual([]);
    });
  });
});
