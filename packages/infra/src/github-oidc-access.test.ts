import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { emptyStack } from '../test/helpers.js';
import { GithubOidcAccess } from './github-oidc-access.js';

const EXISTING = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

describe('GithubOidcAccess', () => {
  it('creates a native provider for GitHub with the STS audience and no thumbprints', () => {
    const stack = emptyStack();
    const access = new GithubOidcAccess(stack, 'Github');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.resourceCountIs('Custom::AWSCDKOpenIdConnectProvider', 0);
    template.hasResource('AWS::IAM::OIDCProvider', {
      Properties: {
        Url: 'https://token.actions.githubusercontent.com',
        ClientIdList: ['sts.amazonaws.com'],
        ThumbprintList: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
    expect(access.created).toBe(true);
  });

  it('follows the given removal policy', () => {
    const stack = emptyStack();
    new GithubOidcAccess(stack, 'Github', { removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::IAM::OIDCProvider', { DeletionPolicy: 'Delete' });
  });

  it('imports the account provider instead of creating a second one', () => {
    const stack = emptyStack();
    const access = new GithubOidcAccess(stack, 'Github', { existingProviderArn: EXISTING });
    new iam.Role(stack, 'Role', { assumedBy: new iam.WebIdentityPrincipal(access.provider.oidcProviderArn) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Federated: EXISTING } })] },
    });
    expect(access.provider.oidcProviderArn).toBe(EXISTING);
    expect(access.created).toBe(false);
  });

  it('refuses the ARN of another issuer', () => {
    expect(
      () =>
        new GithubOidcAccess(emptyStack(), 'Github', {
          existingProviderArn: 'arn:aws:iam::123456789012:oidc-provider/gitlab.com',
        }),
    ).toThrowError('is not the ARN of an IAM OIDC provider for token.actions.githubusercontent.com');
  });
});
