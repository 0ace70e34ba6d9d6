import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Issuer host of GitHub Actions OIDC tokens; also the prefix of its IAM condition keys. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience GitHub tokens carry when requested for AWS STS. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

const PROVIDER_ARN_PATTERN =
  /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

export interface GithubOidcAccessProps {
  /**
   * ARN of the account's existing IAM OIDC provider for `token.actions.githubusercontent.com`.
   * An account can hold only one provider per issuer, so when one already exists (created by
   * hand or by another stack) it must be imported rather than created.
   * @default - a new provider is created
   */
  readonly existingProviderArn?: string;
  /**
   * What happens to a provider this construct created when it leaves the stack. Other roles in
   * the account may come to trust it, hence the default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** GitHub Actions as an IAM identity provider: created (natively, no custom resource) or imported. */
export class GithubOidcAccess extends Construct {
  readonly provider: iam.IOidcProvider;
  /** Whether this construct created the provider (false when it was imported). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: GithubOidcAccessProps = {}) {
    super(scope, id);
    if (props.existingProviderArn !== undefined) {
      if (!PROVIDER_ARN_PATTERN.test(props.existingProviderArn)) {
        throw new Error(
          `GithubOidcAccess: "${props.existingProviderArn}" is not the ARN of an IAM OIDC provider for ${GITHUB_OIDC_HOST}`,
        );
      }
      this.provider = iam.OidcProviderNative.fromOidcProviderArn(this, 'Provider', props.existingProviderArn);
      this.created = false;
    } else {
      // No thumbprints: IAM no longer uses them for GitHub's issuer.
      this.provider = new iam.OidcProviderNative(this, 'Provider', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIds: [GITHUB_OIDC_AUDIENCE],
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      this.created = true;
    }
  }
}
