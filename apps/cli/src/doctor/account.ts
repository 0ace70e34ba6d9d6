import { GetPublicAccessBlockCommand, type PublicAccessBlockConfiguration } from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClientFactory, AwsSettings } from '../aws/clients.js';
import { classifyAwsError } from '../aws/errors.js';

export interface AccountPublicAccessRequest {
  settings: AwsSettings;
  /** From --account-id; otherwise STS GetCallerIdentity tells. */
  accountId: string | undefined;
}

export type AccountPublicAccessResult =
  | { status: 'found'; accountId: string; config: PublicAccessBlockConfiguration }
  | { status: 'not-configured'; accountId: string }
  | { status: 'unavailable'; reason: string };

/** The account-level public access block, injectable so tests cover every outcome. */
export type AccountPublicAccessReader = (
  request: AccountPublicAccessRequest,
) => Promise<AccountPublicAccessResult>;

/**
 * Reads the account's public access block with S3 Control. S3 Control exists only on AWS (its
 * requests go to `<account>.s3-control.<region>.amazonaws.com`), so against any other endpoint
 * the check is reported as unavailable instead of failing.
 */
export async function readAccountPublicAccess(
  aws: AwsClientFactory,
  { settings, accountId }: AccountPublicAccessRequest,
): Promise<AccountPublicAccessResult> {
  if (settings.endpoint && !isAwsEndpoint(settings.endpoint)) {
    return { status: 'unavailable', reason: 'S3 Control is AWS-only; cannot check on this endpoint' };
  }
  let account = accountId;
  if (!account) {
    try {
      account = (await aws.sts(settings).send(new GetCallerIdentityCommand({}))).Account;
    } catch (err) {
      const e = classifyAwsError(err);
      return {
        status: 'unavailable',
        reason: `cannot find the account id (STS GetCallerIdentity: ${e.code}: ${e.message}); pass --account-id`,
      };
    }
    if (!account) return { status: 'unavailable', reason: 'STS returned no account id; pass --account-id' };
  }
  try {
    const out = await aws
      .s3Control({ ...settings, endpoint: undefined })
      .send(new GetPublicAccessBlockCommand({ AccountId: account }));
    return out.PublicAccessBlockConfiguration
      ? { status: 'found', accountId: account, config: out.PublicAccessBlockConfiguration }
      : { status: 'not-configured', accountId: account };
  } catch (err) {
    const e = classifyAwsError(err);
    if (e.kind === 'not-found' || e.code === 'NoSuchPublicAccessBlockConfiguration') {
      return { status: 'not-configured', accountId: account };
    }
    if (e.kind === 'denied') {
      return {
        status: 'unavailable',
        reason: `access denied (needs s3:GetAccountPublicAccessBlock): ${e.message}`,
      };
    }
    return {
      status: 'unavailable',
      reason: `S3 Control GetPublicAccessBlock failed: ${e.code}: ${e.message}`,
    };
  }
}

export function isAwsEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn');
  } catch {
    return false;
  }
}
