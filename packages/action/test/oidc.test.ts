// End to end: role-to-assume. The job's OIDC token comes from a stand-in for the runner's token
// service (ACTIONS_ID_TOKEN_REQUEST_URL) and is exchanged at a stand-in STS, which hands out the
// test S3's keys: so S3 access really depends on the exchange, and no AWS_* variable is set.
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestBucket, s3TestConfig, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runStep, type StepResult, tempDir, treeDigest, uniqueKey, writeTree } from './harness.js';
import { type ActionS3, actionS3 } from './lab.js';

const ROLE = 'arn:aws:iam::123456789012:role/s3cache-ci';
const JWT = 'header.fake-oidc-token.signature';
const REQUEST_TOKEN = 'runner-request-token';

interface Recorded {
  tokenRequests: { url: string; authorization: string | undefined }[];
  stsRequests: URLSearchParams[];
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

describe.skipIf(s3TestsSkipped())('role-to-assume through dist/', () => {
  let bucket: TestBucket;
  let s3: ActionS3;
  let tokenServer: Server;
  let stsServer: Server;
  let tokenUrl: string;
  let stsUrl: string;
  let stsRefuses = false;
  const recorded: Recorded = { tokenRequests: [], stsRequests: [] };
  const dirs: string[] = [];

  beforeAll(async () => {
    bucket = await createTestBucket({ prefix: 's3cache-action' });
    s3 = actionS3(bucket.name);
    const config = s3TestConfig();
    tokenServer = createServer((req, res) => {
      recorded.tokenRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: JWT }));
    });
    stsServer = createServer(async (req, res) => {
      const params = new URLSearchParams(await body(req));
      recorded.stsRequests.push(params);
      res.setHeader('content-type', 'text/xml');
      if (stsRefuses) {
        res.statusCode = 403;
        res.end(
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
            '<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>r1</RequestId></ErrorResponse>',
        );
        return;
      }
      const expiration = new Date(Date.now() + 3600_000).toISOString();
      res.end(
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
          `<Credentials><AccessKeyId>${config.accessKeyId}</AccessKeyId><SecretAccessKey>${config.secretAccessKey}</SecretAccessKey>` +
          `<Expiration>${expiration}</Expiration></Credentials>` +
          '</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>',
      );
    });
    [tokenUrl, stsUrl] = await Promise.all([listen(tokenServer), listen(stsServer)]);
  });
  afterAll(async () => {
    tokenServer?.close();
    stsServer?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await bucket?.cleanup();
  });
  beforeEach(() => {
    recorded.tokenRequests.length = 0;
    recorded.stsRequests.length = 0;
    stsRefuses = false;
  });

  const workspace = (files: Record<string, string> = {}): string => {
    const dir = tempDir('ws');
    dirs.push(dir);
    writeTree(dir, files);
    return dir;
  };

  /** A job with `permissions: id-token: write`: the runner sets the token request variables. */
  const oidcEnv = () => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: `${tokenUrl}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
    S3CACHE_STS_ENDPOINT: stsUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
  });

  const expectOneWarning = (result: StepResult, pattern: RegExp) => {
    expect(result.code, result.text).toBe(0);
    expect(result.warnings, result.text).toHaveLength(1);
    expect(result.warnings[0]).toMatch(pattern);
  };

  it('exchanges the OIDC token for credentials and uses them for S3', async () => {
    const key = uniqueKey('oidc');
    const source = workspace({ 'dir/f.txt': 'via a role' });
    const saved = await runStep('save', {
      workspace: source,
      inputs: { ...s3.inputs, key, path: 'dir', 'role-to-assume': ROLE },
      env: oidcEnv(),
    });
    expect(saved.code, saved.text).toBe(0);
    expect(saved.warnings, saved.text).toEqual([]);
    expect(saved.log.find((l) => l.startsWith('Cache store:'))).toContain(`role ${ROLE}`);
    expect(saved.log).toContain(`Cache saved with key: ${key}`);
    expect(recorded.tokenRequests).toEqual([
      { url: '/token?api-version=2.0&audience=sts.amazonaws.com', authorization: `Bearer ${REQUEST_TOKEN}` },
    ]);
    expect(recorded.stsRequests).toHaveLength(1);
    expect(Object.fromEntries(recorded.stsRequests[0] ?? [])).toMatchObject({
      Action: 'AssumeRoleWithWebIdentity',
      RoleArn: ROLE,
      WebIdentityToken: JWT,
      RoleSessionName: 's3cache-1234-1',
      DurationSeconds: '3600',
    });

    // The role may also come from the organisation-wide variable.
    const target = workspace();
    const restored = await runStep('restore', {
      workspace: target,
      inputs: { ...s3.inputs, key, path: 'dir' },
      env: { ...oidcEnv(), S3CACHE_ROLE_TO_ASSUME: ROLE },
    });
    expect(restored.code, restored.text).toBe(0);
    expect(restored.outputs['cache-hit']).toBe('true');
    expect(treeDigest(target)).toEqual(treeDigest(source));
  });

  it('without id-token: write, warns how to grant it and misses', async () => {
    const result = await runStep('restore', {
      workspace: workspace(),
      inputs: { ...s3.inputs, key: 'k', path: 'dir', 'role-to-assume': ROLE },
      env: { S3CACHE_STS_ENDPOINT: stsUrl },
    });
    expectOneWarning(
      result,
      /^Cache not restored: Could not get the job's OIDC token for arn:aws:iam::123456789012:role\/s3cache-ci \(.*ACTIONS_ID_TOKEN_REQUEST_URL.*\); add `permissions: id-token: write` to the job/,
    );
    expect(result.outputs['cache-hit']).toBe('false');
    expect(recorded.stsRequests).toEqual([]);
  });

  it('when STS refuses the role, warns about the trust policy and misses', async () => {
    stsRefuses = true;
    const result = await runStep('restore', {
      workspace: workspace(),
      inputs: { ...s3.inputs, key: 'k', path: 'dir', 'role-to-assume': ROLE },
      env: oidcEnv(),
    });
    expectOneWarning(
      result,
      /^Cache not restored: STS refused to let this job assume arn:aws:iam::123456789012:role\/s3cache-ci \(AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\); check the role's trust policy/,
    );
    const save = await runStep('save', {
      workspace: workspace({ 'dir/f': 'x' }),
      inputs: { ...s3.inputs, key: 'k', path: 'dir', 'role-to-assume': ROLE },
      env: oidcEnv(),
    });
    expectOneWarning(save, /^Cache not saved: STS refused/);
  });
});
