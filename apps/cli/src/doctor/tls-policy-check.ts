import { type BucketFacts, type CheckResult, cannotCheck } from './facts.js';

/** The TLS-only check: a bucket policy statement that denies every request made over plain HTTP. */

interface PolicyStatement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Condition?: unknown;
}

const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** `*` or `{"AWS": "*"}`: everybody, which is what a TLS deny must cover. */
function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    return asArray((principal as Record<string, unknown>).AWS).includes('*');
  }
  return false;
}

/** Condition `Bool` (or `BoolIfExists`) `aws:SecureTransport` = false; IAM condition keys are case-insensitive. */
function deniesPlainHttp(condition: unknown): boolean {
  if (!condition || typeof condition !== 'object') return false;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!/^bool(ifexists)?$/i.test(operator) || !block || typeof block !== 'object') continue;
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      if (
        key.toLowerCase() === 'aws:securetransport' &&
        asArray(value).some((v) => String(v).toLowerCase() === 'false')
      ) {
        return true;
      }
    }
  }
  return false;
}

export function tlsPolicyFor(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

export function checkTlsOnly({ bucket, policy }: BucketFacts): CheckResult {
  const base = { id: 'tls-only', title: 'TLS-only bucket policy' };
  const fix = `add this statement to the bucket policy (merge with any existing one):\n${tlsPolicyFor(bucket)}\naws s3api put-bucket-policy --bucket ${bucket} --policy file://policy.json`;
  if (!policy.ok) {
    const skipped = cannotCheck(base, policy.error, 's3:GetBucketPolicy');
    if (skipped) return skipped;
    return {
      ...base,
      status: 'fail',
      detail: 'the bucket has no policy: plain-HTTP requests are allowed',
      fix,
    };
  }
  let statements: PolicyStatement[];
  try {
    const document = JSON.parse(policy.value ?? '{}') as { Statement?: unknown };
    statements = asArray(document.Statement) as PolicyStatement[];
  } catch {
    return { ...base, status: 'fail', detail: 'the bucket policy is not valid JSON', fix };
  }
  const tlsDenies = statements.filter((s) => s.Effect === 'Deny' && deniesPlainHttp(s.Condition));
  if (tlsDenies.length === 0) {
    return {
      ...base,
      status: 'fail',
      detail: 'no statement denies requests with aws:SecureTransport = false',
      fix,
    };
  }
  const complete = tlsDenies.some(
    (s) => isEveryone(s.Principal) && asArray(s.Action).some((a) => a === 's3:*' || a === '*'),
  );
  if (complete) return { ...base, status: 'ok', detail: 'plain-HTTP requests are denied for everyone' };
  return {
    ...base,
    status: 'warn',
    detail: 'a statement denies plain HTTP, but not for every principal and every S3 action',
    fix,
  };
}
