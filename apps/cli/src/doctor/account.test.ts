import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import type { AwsClientFactory, AwsSettings } from '../aws/clients.js';
import { isAwsEndpoint, readAccountPublicAccess } from './account.js';

type Answer = (command: { constructor: { name: string }; input: unknown }) => unknown;

/** A factory whose clients answer with `sts` and `control`, recording what they were asked. */
function fakeAws(sts: Answer, control: Answer) {
  const calls: { client: string; command: string; input: unknown; settings: AwsSettings }[] = [];
  const client = (name: string, answer: Answer, settings: AwsSettings) => ({
    async send(command: { constructor: { name: string }; input: unknown }) {
      calls.push({ client: name, command: command.constructor.name, input: command.input, settings });
      return answer(command);
    },
    destroy() {},
  });
  const factory: AwsClientFactory = {
    s3: () => ({}) as S3Client,
    sts: (settings) => client('sts', sts, settings) as unknown as STSClient,
    s3Control: (settings) => client('s3control', control, settings) as unknown as S3ControlClient,
    destroy() {},
  };
  return { factory, calls };
}

const ALL_ON = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const settings: AwsSettings = { region: 'eu-west-1', endpoint: undefined, profile: 'ops' };

describe('readAccountPublicAccess', () => {
  it('asks STS for the account, then S3 Control for its block', async () => {
    const { factory, calls } = fakeAws(
      () => ({ Account: '123456789012' }),
      () => ({ PublicAccessBlockConfiguration: ALL_ON }),
    );
    expect(await readAccountPublicAccess(factory, { settings, accountId: undefined })).toEqual({
      status: 'found',
      accountId: '123456789012',
      config: ALL_ON,
    });
    expect(calls.map((c) => `${c.client} ${c.command}`)).toEqual([
      'sts GetCallerIdentityCommand',
      's3control GetPublicAccessBlockCommand',
    ]);
    expect(calls[1]?.input).toEqual({ AccountId: '123456789012' });
    expect(calls[1]?.settings).toMatchObject({ region: 'eu-west-1', profile: 'ops' });
  });

  it('skips STS when the account id is given, and reports an unconfigured account', async () => {
    const { factory, calls } = fakeAws(
      () => {
        throw new Error('STS must not be called');
      },
      () => {
        throw awsError('NoSuchPublicAccessBlockConfiguration', 404);
      },
    );
    expect(await readAccountPublicAccess(factory, { settings, accountId: '210987654321' })).toEqual({
      status: 'not-configured',
      accountId: '210987654321',
    });
    expect(calls).toHaveLength(1);
  });

  it('is unavailable on S3-compatible endpoints, without a request', async () => {
    const { factory, calls } = fakeAws(
      () => ({}),
      () => ({}),
    );
    const result = await readAccountPublicAccess(factory, {
      settings: { ...settings, endpoint: 'http://127.0.0.1:7480' },
      accountId: undefined,
    });
    expect(result).toEqual({
      status: 'unavailable',
      reason: expect.stringContaining('cannot check on this endpoint'),
    });
    expect(calls).toEqual([]);
  });

  it('is unavailable when STS or S3 Control refuse', async () => {
    const stsDown = fakeAws(
      () => {
        throw awsError('Unknown', 405);
      },
      () => ({}),
    );
    expect(await readAccountPublicAccess(stsDown.factory, { settings, accountId: undefined })).toMatchObject({
      status: 'unavailable',
      reason: expect.stringContaining('--account-id'),
    });
    const denied = fakeAws(
      () => ({ Account: '123456789012' }),
      () => {
        throw awsError('AccessDenied', 403);
      },
    );
    expect(await readAccountPublicAccess(denied.factory, { settings, accountId: undefined })).toMatchObject({
      status: 'unavailable',
      reason: expect.stringContaining('s3:GetAccountPublicAccessBlock'),
    });
  });

  it('knows AWS endpoints from others', () => {
    expect(isAwsEndpoint('https://s3.eu-west-1.amazonaws.com')).toBe(true);
    expect(isAwsEndpoint('https://s3.cn-north-1.amazonaws.com.cn')).toBe(true);
    expect(isAwsEndpoint('http://127.0.0.1:9000')).toBe(false);
    expect(isAwsEndpoint('not a url')).toBe(false);
  });
});
