import type { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { roleSessionName, WebIdentityCredentials } from '../src/credentials.js';
import { CredentialsError } from '../src/explain.js';

const ROLE = 'arn:aws:iam::123456789012:role/cache';

/** A stand-in STS client answering with numbered sessions that expire after `lifetimeMs`. */
function fakeSts(lifetimeMs: number, fail?: () => Error | undefined) {
  const calls: Record<string, unknown>[] = [];
  const client = {
    async send(command: AssumeRoleWithWebIdentityCommand) {
      calls.push({ ...command.input });
      const error = fail?.();
      if (error) throw error;
      return {
        Credentials: {
          AccessKeyId: `AKIA${calls.length}`,
          SecretAccessKey: 'secret',
          SessionToken: `token-${calls.length}`,
          Expiration: new Date(Date.now() + lifetimeMs),
        },
      };
    },
    destroy() {},
  };
  return { client: client as unknown as STSClient, calls };
}

describe('WebIdentityCredentials', () => {
  const options = (getToken: () => Promise<string> = async () => 'jwt') => ({
    roleArn: ROLE,
    getToken,
    sessionName: 's3cache-1-1',
  });

  it('assumes the role with the OIDC token once and reuses the session', async () => {
    const sts = fakeSts(3600_000);
    const credentials = new WebIdentityCredentials(options(), sts.client);
    const [a, b] = await Promise.all([credentials.provider(), credentials.provider()]);
    const c = await credentials.provider();
    expect(a).toMatchObject({ accessKeyId: 'AKIA1', secretAccessKey: 'secret', sessionToken: 'token-1' });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(sts.calls).toEqual([
      { RoleArn: ROLE, RoleSessionName: 's3cache-1-1', WebIdentityToken: 'jwt', DurationSeconds: 3600 },
    ]);
  });

  it('renews a session about to expire, with a fresh token', async () => {
    const sts = fakeSts(60_000); // inside the 5-minute margin
    let tokens = 0;
    const credentials = new WebIdentityCredentials(
      options(async () => `jwt-${++tokens}`),
      sts.client,
    );
    expect((await credentials.provider()).accessKeyId).toBe('AKIA1');
    expect((await credentials.provider()).accessKeyId).toBe('AKIA2');
    expect(sts.calls.map((c) => c.WebIdentityToken)).toEqual(['jwt-1', 'jwt-2']);
  });

  it('explains a missing token permission, and tries again on the next call', async () => {
    const sts = fakeSts(3600_000);
    let attempt = 0;
    const credentials = new WebIdentityCredentials(
      options(async () => {
        if (++attempt === 1) throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        return 'jwt';
      }),
      sts.client,
    );
    const error = await credentials.provider().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe(
      `Could not get the job's OIDC token for ${ROLE} (Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable); add \`permissions: id-token: write\` to the job (and \`contents: read\`).`,
    );
    expect((await credentials.provider()).accessKeyId).toBe('AKIA1');
  });

  it('explains a refused role', async () => {
    const refused = Object.assign(new Error('Not authorized to perform sts:AssumeRoleWithWebIdentity'), {
      name: 'AccessDenied',
    });
    const credentials = new WebIdentityCredentials(options(), fakeSts(3600_000, () => refused).client);
    await expect(credentials.provider()).rejects.toThrow(
      /^STS refused to let this job assume arn:aws:iam::123456789012:role\/cache \(AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\); check the role's trust policy/,
    );
  });
});

describe('roleSessionName', () => {
  it('names the session after the run, within STS rules', () => {
    expect(roleSessionName({ GITHUB_RUN_ID: '987', GITHUB_RUN_ATTEMPT: '2' })).toBe('s3cache-987-2');
    expect(roleSessionName({})).toBe('s3cache-local-1');
    expect(roleSessionName({ GITHUB_RUN_ID: 'a b/c'.repeat(20) })).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});
