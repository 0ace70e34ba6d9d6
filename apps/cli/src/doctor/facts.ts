import type {
  LifecycleRule,
  OwnershipControlsRule,
  PublicAccessBlockConfiguration,
  ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import type { ClassifiedError } from '../aws/errors.js';
import type { AccountPublicAccessResult } from './account.js';

/** A read that succeeded, or why it did not. */
export type Probe<T> = { ok: true; value: T } | { ok: false; error: ClassifiedError };

/** Everything doctor learned about a bucket: the input of the pure checks below. */
export interface BucketFacts {
  bucket: string;
  /** The store's key prefix: lifecycle rules must cover it. */
  prefix: string;
  reachable: Probe<true>;
  publicAccessBlock: Probe<PublicAccessBlockConfiguration | undefined>;
  account: AccountPublicAccessResult;
  /** The bucket policy document (JSON text). */
  policy: Probe<string | undefined>;
  lifecycle: Probe<LifecycleRule[]>;
  encryption: Probe<ServerSideEncryptionRule[]>;
  versioning: Probe<{ status: string | undefined }>;
  ownership: Probe<OwnershipControlsRule[]>;
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found (and for warn/fail, what is wrong). */
  detail: string;
  /** How to fix it (warn/fail). */
  fix?: string;
}

/** A read the endpoint cannot do, or we may not do: not the bucket's fault, so a warning. */
export function cannotCheck(
  base: { id: string; title: string },
  error: ClassifiedError,
  permission: string,
): CheckResult | undefined {
  if (error.kind === 'unsupported') {
    return { ...base, status: 'warn', detail: `cannot check on this endpoint (${error.code})` };
  }
  if (error.kind === 'denied') {
    return { ...base, status: 'warn', detail: `cannot check: access denied (needs ${permission})` };
  }
  if (error.kind === 'error') {
    return { ...base, status: 'warn', detail: `cannot check: ${error.code}: ${error.message}` };
  }
  return undefined;
}
