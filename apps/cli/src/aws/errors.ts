/**
 * What an AWS error means for a caller that only reads configuration: the thing is absent, the
 * endpoint does not implement the API, we may not look, or something else went wrong.
 */
export type AwsErrorKind = 'not-found' | 'unsupported' | 'denied' | 'error';

export interface ClassifiedError {
  kind: AwsErrorKind;
  code: string;
  message: string;
}

interface AwsLikeError {
  name?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** Codes AWS answers with when a bucket simply has no such configuration. */
const NOT_FOUND_CODES = new Set([
  'NoSuchPublicAccessBlockConfiguration',
  'NoSuchBucketPolicy',
  'NoSuchLifecycleConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError',
  'OwnershipControlsNotFoundError',
]);

export function classifyAwsError(err: unknown): ClassifiedError {
  const e = (err ?? {}) as AwsLikeError;
  const code = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message =
    typeof e.message === 'string' && e.message !== 'UnknownError' ? e.message : `HTTP ${status ?? '?'}`;
  if (NOT_FOUND_CODES.has(code)) return { kind: 'not-found', code, message };
  // S3-compatible servers answer APIs they lack with 501 NotImplemented or 405 MethodNotAllowed.
  if (code === 'NotImplemented' || code === 'MethodNotAllowed' || status === 501 || status === 405) {
    return { kind: 'unsupported', code, message };
  }
  if (code === 'AccessDenied' || status === 403) return { kind: 'denied', code, message };
  return { kind: 'error', code, message };
}
