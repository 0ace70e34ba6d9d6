import { describe, expect, it } from 'vitest';
import { classifyAwsError } from './errors.js';

const awsError = (name: string, status?: number, message = 'UnknownError') =>
  Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('classifyAwsError', () => {
  it.each([
    ['NoSuchBucketPolicy', 404, 'not-found'],
    ['NoSuchLifecycleConfiguration', 404, 'not-found'],
    ['OwnershipControlsNotFoundError', 404, 'not-found'],
    ['NotImplemented', 501, 'unsupported'],
    ['Unknown', 405, 'unsupported'],
    ['AccessDenied', 403, 'denied'],
    ['NoSuchBucket', 404, 'error'],
    ['TimeoutError', undefined, 'error'],
  ])('%s (HTTP %s) is %s', (name, status, kind) => {
    expect(classifyAwsError(awsError(name, status)).kind).toBe(kind);
  });
  it('prefers a readable message over the SDK placeholder', () => {
    expect(classifyAwsError(awsError('Unknown', 405))).toEqual({
      kind: 'unsupported',
      code: 'Unknown',
      message: 'HTTP 405',
    });
    expect(classifyAwsError(awsError('AccessDenied', 403, 'no')).message).toBe('no');
    expect(classifyAwsError(undefined)).toMatchObject({ kind: 'error', code: 'Error' });
  });
});
