import {
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleWithWebIdentityCommandOutput,
  STSClient,
} from '@aws-sdk/client-sts';
import { CredentialsError } from './explain.js';
import type { Env } from './inputs.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface WebIdentityOptions {
  roleArn: string;
  /** Fetches the job's OIDC token (core.getIDToken with the STS audience). */
  getToken: () => Promise<string>;
  region?: string;
  /** STS endpoint override (S3-compatible stores with their own STS). */
  endpoint?: string;
  sessionName: string;
  durationSeconds?: number;
  /** Refresh this long before the session expires. */
  refreshMarginMs?: number;
}

/** Session names allow [\w+=,.@-], 2-64 characters: `s3cache-<run id>-<attempt>`. */
export function roleSessionName(env: Env): string {
  const raw = `s3cache-${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  return raw.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * Credentials from the job's GitHub OIDC token, exchanged with STS AssumeRoleWithWebIdentity.
 * Owns its STS client. The provider caches the session and renews it (with a fresh token) shortly
 * before it expires, so transfers longer than one session keep working.
 */
export class WebIdentityCredentials {
  private readonly sts: STSClient;
  private session: Promise<AwsCredentials> | undefined;

  constructor(
    private readonly options: WebIdentityOptions,
    sts?: STSClient,
  ) {
    this.sts =
      sts ??
      new STSClient({
        region: options.region ?? 'us-east-1',
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        maxAttempts: 3,
      });
  }

  /** For the S3 client: resolves (and when due, renews) the session. */
  readonly provider: CredentialsProvider = async () => {
    const session = this.session;
    if (session) {
      const creds = await session.catch(() => undefined);
      if (creds && !this.expiresSoon(creds)) return creds;
      // Another caller renewed while this one waited: share its session.
      if (this.session !== session) return this.provider();
    }
    // One renewal at a time; a failed one is replaced by the next call's attempt.
    this.session = this.assume();
    return this.session;
  };

  private expiresSoon(creds: AwsCredentials): boolean {
    const margin = this.options.refreshMarginMs ?? 5 * 60_000;
    return creds.expiration !== undefined && creds.expiration.getTime() - Date.now() < margin;
  }

  private async assume(): Promise<AwsCredentials> {
    const { roleArn } = this.options;
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (err) {
      throw new CredentialsError(
        `Could not get the job's OIDC token for ${roleArn} (${oneLine(err)}); add \`permissions: id-token: write\` to the job (and \`contents: read\`).`,
        { cause: err },
      );
    }
    let out: AssumeRoleWithWebIdentityCommandOutput;
    try {
      out = await this.sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: this.options.sessionName,
          WebIdentityToken: token,
          DurationSeconds: this.options.durationSeconds ?? 3600,
        }),
      );
    } catch (err) {
      const code = (err as { name?: string }).name ?? 'error';
      throw new CredentialsError(
        `STS refused to let this job assume ${roleArn} (${code}: ${oneLine(err)}); check the role's trust policy allows token.actions.githubusercontent.com for this repository and ref, with audience sts.amazonaws.com.`,
        { cause: err },
      );
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new CredentialsError(
        `STS returned no credentials for ${roleArn}; check the role and the STS endpoint.`,
      );
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  }

  close(): void {
    this.sts.destroy();
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}
