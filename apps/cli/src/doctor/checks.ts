import type { PublicAccessBlockConfiguration } from '@aws-sdk/client-s3';
import { type BucketFacts, type CheckResult, type CheckStatus, cannotCheck } from './facts.js';
import { checkLifecycle } from './lifecycle-checks.js';
import { checkTlsOnly } from './tls-policy-check.js';

export type { BucketFacts, CheckResult, CheckStatus, Probe } from './facts.js';
export { lifecycleExample } from './lifecycle-checks.js';
export { tlsPolicyFor } from './tls-policy-check.js';

const PAB_FLAGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;
const PAB_ALL = PAB_FLAGS.map((f) => `${f}=true`).join(',');

/** Runs every check. An unreachable bucket makes the rest meaningless: one failure then. */
export function runChecks(facts: BucketFacts): CheckResult[] {
  const reach = checkReachable(facts);
  if (reach.status === 'fail') return [reach];
  return [
    reach,
    checkBucketPublicAccess(facts),
    checkAccountPublicAccess(facts),
    checkTlsOnly(facts),
    ...checkLifecycle(facts),
    checkEncryption(facts),
    checkVersioning(facts),
    checkOwnership(facts),
  ];
}

function checkReachable({ bucket, reachable }: BucketFacts): CheckResult {
  const base = { id: 'bucket', title: 'Bucket reachable' };
  if (reachable.ok) return { ...base, status: 'ok', detail: `s3://${bucket} answers HeadBucket` };
  const { error } = reachable;
  return {
    ...base,
    status: 'fail',
    detail:
      error.kind === 'denied'
        ? `access denied to s3://${bucket} (${error.code})`
        : `s3://${bucket}: ${error.code}: ${error.message}`,
    fix: 'check the bucket name, --region/--endpoint and credentials (s3:ListBucket on the bucket is needed)',
  };
}

function missingFlags(config: PublicAccessBlockConfiguration | undefined): string[] {
  return PAB_FLAGS.filter((flag) => config?.[flag] !== true);
}

function checkBucketPublicAccess({ bucket, publicAccessBlock }: BucketFacts): CheckResult {
  const base = { id: 'public-access-bucket', title: 'Public access blocked (bucket)' };
  const fix = `aws s3api put-public-access-block --bucket ${bucket} --public-access-block-configuration ${PAB_ALL}`;
  if (!publicAccessBlock.ok) {
    const skipped = cannotCheck(base, publicAccessBlock.error, 's3:GetBucketPublicAccessBlock');
    if (skipped) return skipped;
    return { ...base, status: 'fail', detail: 'no public access block is configured on the bucket', fix };
  }
  const missing = missingFlags(publicAccessBlock.value);
  if (missing.length === 0) return { ...base, status: 'ok', detail: 'all four settings on' };
  return { ...base, status: 'fail', detail: `off: ${missing.join(', ')}`, fix };
}

/**
 * The account-level block is defence in depth: with the bucket-level block on, this bucket is
 * private whatever the account says, and some accounts must keep it off for other buckets. So an
 * account-level block that is off is a warning, not a failure.
 */
function checkAccountPublicAccess({ account }: BucketFacts): CheckResult {
  const base = { id: 'public-access-account', title: 'Public access blocked (account)' };
  if (account.status === 'unavailable') return { ...base, status: 'warn', detail: account.reason };
  const fix = `aws s3control put-public-access-block --account-id ${account.accountId} --public-access-block-configuration ${PAB_ALL}`;
  if (account.status === 'not-configured') {
    return {
      ...base,
      status: 'warn',
      detail: `account ${account.accountId} has no public access block`,
      fix,
    };
  }
  const missing = missingFlags(account.config);
  if (missing.length === 0)
    return { ...base, status: 'ok', detail: `account ${account.accountId}: all four settings on` };
  return { ...base, status: 'warn', detail: `account ${account.accountId}: off: ${missing.join(', ')}`, fix };
}

function checkEncryption({ bucket, encryption }: BucketFacts): CheckResult {
  const base = { id: 'encryption', title: 'Default encryption' };
  const fix = `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`;
  if (!encryption.ok) {
    const skipped = cannotCheck(base, encryption.error, 's3:GetEncryptionConfiguration');
    if (skipped) return skipped;
    return { ...base, status: 'fail', detail: 'no default encryption configured', fix };
  }
  const algorithms = encryption.value
    .map((rule) => rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm)
    .filter((a): a is NonNullable<typeof a> => a !== undefined);
  // AWS answers "not found" when there is no configuration; an empty 200 comes from S3-compatible
  // servers that do not implement bucket encryption.
  if (algorithms.length === 0) {
    return {
      ...base,
      status: 'warn',
      detail: 'cannot check on this endpoint (it returned no encryption rules)',
    };
  }
  const names: Record<string, string> = {
    AES256: 'SSE-S3 (AES256)',
    'aws:kms': 'SSE-KMS',
    'aws:kms:dsse': 'DSSE-KMS',
  };
  return { ...base, status: 'ok', detail: algorithms.map((a) => names[a] ?? a).join(', ') };
}

function checkVersioning({ bucket, versioning }: BucketFacts): CheckResult {
  const base = { id: 'versioning', title: 'Versioning not enabled' };
  if (!versioning.ok) {
    return (
      cannotCheck(base, versioning.error, 's3:GetBucketVersioning') ?? {
        ...base,
        status: 'warn',
        detail: `cannot check: ${versioning.error.code}`,
      }
    );
  }
  const status = versioning.value.status;
  if (status === 'Enabled') {
    return {
      ...base,
      status: 'fail',
      detail:
        'versioning is enabled: deleted and replaced objects stay as noncurrent versions, so evictions free nothing and sizes lie',
      fix: `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Suspended, then delete the noncurrent versions (or add a NoncurrentVersionExpiration rule)`,
    };
  }
  if (status === 'Suspended') {
    return {
      ...base,
      status: 'warn',
      detail: 'versioning is suspended: versions kept while it was enabled still take space',
      fix: 'add a lifecycle rule with NoncurrentVersionExpiration, or delete the noncurrent versions once',
    };
  }
  return { ...base, status: 'ok', detail: 'never enabled' };
}

function checkOwnership({ bucket, ownership }: BucketFacts): CheckResult {
  const base = { id: 'object-ownership', title: 'Object ownership: bucket owner enforced' };
  const fix = `aws s3api put-bucket-ownership-controls --bucket ${bucket} --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'`;
  if (!ownership.ok) {
    const skipped = cannotCheck(base, ownership.error, 's3:GetBucketOwnershipControls');
    if (skipped) return skipped;
    return { ...base, status: 'fail', detail: 'no ownership controls: ACLs are in effect', fix };
  }
  const setting = ownership.value.map((r) => r.ObjectOwnership).find((o) => o !== undefined);
  if (setting === undefined) {
    return {
      ...base,
      status: 'warn',
      detail: 'cannot check on this endpoint (it returned no ownership rules)',
    };
  }
  if (setting === 'BucketOwnerEnforced') return { ...base, status: 'ok', detail: 'ACLs disabled' };
  return { ...base, status: 'fail', detail: `ObjectOwnership is ${setting}: ACLs are in effect`, fix };
}

export function summarize(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}
