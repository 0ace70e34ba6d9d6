// The template → lab translation on its own (no STS needed): every intrinsic resolved or
// refused, and each RGW workaround doing exactly what docs/reliability.md says.
import { describe, expect, it } from 'vitest';
import { createSigningKey } from './oidc-issuer.js';
import {
  bucketLevelDeletes,
  extractRole,
  type LabTargets,
  resolve,
  type Statement,
  splitTagging,
  widenInnerWildcards,
} from './policies.js';

const lab: LabTargets = {
  bucketLogicalId: 'CacheBucket1',
  bucketName: 'lab-bucket',
  providerLogicalId: 'Provider1',
  providerArn: 'arn:aws:iam:::oidc-provider/127.0.0.1:1234',
  issuerHost: '127.0.0.1:1234',
};

describe('template → lab translation', () => {
  it('resolves the intrinsics the roles use and refuses any other', () => {
    expect(
      resolve({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['CacheBucket1', 'Arn'] }, '/acme/app/*']] }, lab),
    ).toBe('arn:aws:s3:::lab-bucket/acme/app/*');
    expect(resolve({ Ref: 'Provider1' }, lab)).toBe(lab.providerArn);
    expect(resolve({ Ref: 'AWS::Partition' }, lab)).toBe('aws');
    expect(() => resolve({ Ref: 'SomethingElse' }, lab)).toThrow(/cannot resolve Ref SomethingElse/);
    expect(() => resolve({ 'Fn::Sub': 'x' }, lab)).toThrow(/cannot resolve Fn::Sub/);
    expect(() => resolve({ 'Fn::GetAtt': ['Other', 'Arn'] }, lab)).toThrow(/Other\.Arn/);
  });

  it('renames only the GitHub condition keys of a trust policy', () => {
    const template = {
      Resources: {
        Role1: {
          Type: 'AWS::IAM::Role',
          Properties: {
            MaxSessionDuration: 3600,
            AssumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'sts:AssumeRoleWithWebIdentity',
                  Principal: { Federated: { Ref: 'Provider1' } },
                  Condition: {
                    StringEquals: {
                      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                      'aws:x': 'y',
                    },
                    StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:acme/app:*'] },
                  },
                },
              ],
            },
          },
        },
        Policy1: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'Role1' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
            },
          },
        },
        Unrelated: {
          Type: 'AWS::IAM::Policy',
          Properties: { Roles: [{ Ref: 'Other' }], PolicyDocument: {} },
        },
      },
    };
    const role = extractRole(template, 'Role1', lab);
    expect(role.trust.Statement[0]?.Principal).toEqual({ Federated: lab.providerArn });
    expect(role.trust.Statement[0]?.Condition).toEqual({
      StringEquals: { '127.0.0.1:1234:aud': 'sts.amazonaws.com', 'aws:x': 'y' },
      StringLike: { '127.0.0.1:1234:sub': ['repo:acme/app:*'] },
    });
    expect(Object.keys(role.policies)).toEqual(['Policy1']);
    expect(role.maxSessionDuration).toBe(3600);
    const managed = structuredClone(template);
    (managed.Resources.Role1.Properties as Record<string, unknown>).ManagedPolicyArns = ['arn:x'];
    expect(() => extractRole(managed, 'Role1', lab)).toThrow(/ManagedPolicyArns/);
  });

  it('splits PutObjectTagging out of tag-conditioned statements, keeping other conditions', () => {
    const statement: Statement = {
      Sid: 'Write',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:PutObjectTagging'],
      Resource: 'arn:aws:s3:::b/p/*',
      Condition: { StringEquals: { 's3:RequestObjectTag/type': ['base'], 'aws:SourceVpc': 'v' } },
    };
    expect(splitTagging(statement)).toEqual([
      { ...statement, Action: ['s3:PutObject'] },
      {
        Sid: 'WriteRetagRgw',
        Effect: 'Allow',
        Action: 's3:PutObjectTagging',
        Resource: 'arn:aws:s3:::b/p/*',
        Condition: { StringEquals: { 'aws:SourceVpc': 'v' } },
      },
    ]);
    const plain: Statement = { Effect: 'Allow', Action: 's3:PutObjectTagging', Resource: 'x' };
    expect(splitTagging(plain)).toEqual([plain]);
  });

  it('cuts resources after an inner wildcard, and adds bucket-level deletes', () => {
    expect(
      widenInnerWildcards({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/a/*/packs/*' })
        .Resource,
    ).toBe('arn:aws:s3:::b/a/*');
    expect(
      widenInnerWildcards({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: ['arn:aws:s3:::b/a/*', 'arn:aws:s3:::b/c'],
      }).Resource,
    ).toEqual(['arn:aws:s3:::b/a/*', 'arn:aws:s3:::b/c']);
    expect(
      bucketLevelDeletes(
        [
          {
            Sid: 'Del',
            Effect: 'Allow',
            Action: ['s3:DeleteObject', 's3:AbortMultipartUpload'],
            Resource: 'arn:aws:s3:::b/p/*',
          },
          { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        ],
        'arn:aws:s3:::b',
      ),
    ).toEqual([
      { Sid: 'DelBucketRgw', Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b' },
    ]);
  });

  it('makes self-signed certificates that verify, with a SHA-1 thumbprint', () => {
    const key = createSigningKey('unit');
    expect(key.thumbprint).toMatch(/^[0-9a-f]{40}$/);
    expect(key.certificate[0]).toBe(0x30);
  });
});
