import { CodecUnavailableError } from '@s3cache/core';
import { Inputs, SettingsEnv } from './constants.js';
import type { S3Settings } from './inputs.js';

/** Credentials could not be obtained (OIDC token or STS); the message says why and what to do. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

interface ErrorFacts {
  codes: Set<string>;
  messages: string[];
  status?: number;
  credentials?: CredentialsError;
  /** The name of the first named s3cache error in the chain (ObjectMissingError, ...). */
  kinds: Set<string>;
}

/** Walks an error, its `cause` chain and aggregated errors, collecting codes and names. */
function factsOf(err: unknown): ErrorFacts {
  const facts: ErrorFacts = { codes: new Set(), messages: [], kinds: new Set() };
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || value === undefined || seen.has(value) || depth > 8) return;
    seen.add(value);
    if (typeof value !== 'object') {
      facts.messages.push(String(value));
      return;
    }
    const e = value as Record<string, unknown> & { $metadata?: { httpStatusCode?: number } };
    if (value instanceof CredentialsError) facts.credentials ??= value;
    for (const field of ['code', 'Code', 'name'] as const) {
      const code = e[field];
      if (typeof code === 'string' && code && code !== 'Error') facts.codes.add(code);
    }
    if (typeof e.name === 'string') facts.kinds.add(e.name);
    if (typeof e.message === 'string' && e.message) facts.messages.push(e.message);
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && facts.status === undefined) facts.status = status;
    visit(e.cause, depth + 1);
    if (Array.isArray(e.errors)) for (const inner of e.errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return facts;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * One line saying what went wrong and how to fix it, for a failure that does not fail the job
 * (a warning). Known causes get a specific fix; anything else keeps the error's own message.
 */
export function explainError(err: unknown, settings: S3Settings | undefined): string {
  const facts = factsOf(err);
  const has = (...codes: string[]) => codes.some((code) => facts.codes.has(code));
  const where = settings
    ? `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ''}`
    : 'the cache bucket';
  const endpoint = settings?.endpoint ?? 'the S3 endpoint';
  const detail = oneLine(facts.messages[0] ?? String(err));
  const credentialsFix = settings?.roleToAssume
    ? `check that ${Inputs.RoleToAssume} (${settings.roleToAssume}) trusts this repository and may use ${where}`
    : `give the job AWS credentials: set \`${Inputs.RoleToAssume}\` (with \`permissions: id-token: write\`) or run aws-actions/configure-aws-credentials before this step`;

  if (facts.credentials) return oneLine(facts.credentials.message);
  if (err instanceof CodecUnavailableError || facts.kinds.has('CodecUnavailableError')) {
    return `No zstd codec is available (${detail}); run the action on the node24 runtime (Node >= 22.15).`;
  }
  if (has('CredentialsProviderError') || /Could not load credentials/i.test(detail)) {
    return `No AWS credentials were found; ${credentialsFix}.`;
  }
  if (has('InvalidAccessKeyId')) {
    return `S3 does not know the access key ID this job uses (InvalidAccessKeyId); ${credentialsFix}.`;
  }
  if (has('SignatureDoesNotMatch')) {
    return `S3 rejected the request signature (SignatureDoesNotMatch): the secret access key is wrong; ${credentialsFix}.`;
  }
  if (has('ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired')) {
    return `The AWS session token has expired (ExpiredToken); obtain fresh credentials (a longer session, or \`${Inputs.RoleToAssume}\`, which refreshes itself).`;
  }
  if (has('NoSuchBucket')) {
    return `Bucket "${settings?.bucket ?? '?'}" does not exist${settings?.endpoint ? ` at ${settings.endpoint}` : ''} (NoSuchBucket); check the \`${Inputs.Bucket}\` input or ${SettingsEnv.Bucket}${settings?.endpoint ? ` and \`${Inputs.Endpoint}\`` : ''}.`;
  }
  if (has('PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException')) {
    return `Bucket "${settings?.bucket ?? '?'}" is in another region than ${settings?.region ?? 'the one configured'}; set \`${Inputs.Region}\` (or ${SettingsEnv.Region}) to the bucket's region.`;
  }
  if (has('AccessDenied', 'AllAccessDisabled', 'Forbidden') || facts.status === 403) {
    // Some S3-compatible servers (Ceph RGW) also answer AccessDenied for unknown keys and bad signatures.
    return `Access denied to ${where} (AccessDenied): the job's credentials are wrong or not allowed there; ${credentialsFix}, and allow them s3:ListBucket, s3:GetObject, s3:PutObject and s3:PutObjectTagging on ${where}.`;
  }
  if (
    has(
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ECONNRESET',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'UND_ERR_CONNECT_TIMEOUT',
    )
  ) {
    const code = [...facts.codes].find((c) => /^E[A-Z_]+$|^UND_/.test(c)) ?? 'network error';
    return `Cannot reach ${endpoint} (${code}); check \`${Inputs.Endpoint}\` / \`${Inputs.Region}\` and the runner's network access to S3.`;
  }
  if (facts.kinds.has('TimeoutError') || has('TimeoutError', 'RequestTimeout', 'ETIMEDOUT')) {
    return `The transfer timed out (${detail}); raise SEGMENT_DOWNLOAD_TIMEOUT_MINS (minutes, default 10) or check the runner's bandwidth to ${endpoint}.`;
  }
  if (['IntegrityError', 'ManifestError', 'ObjectMissingError'].some((kind) => facts.kinds.has(kind))) {
    return `The cache entry is damaged or incomplete (${detail}); it is ignored. A new save replaces it; to remove it now, run with \`${Inputs.ClearCache}: true\` or put [ci-clear-cache] in the commit message.`;
  }
  if (facts.kinds.has('PathResolutionError') || facts.kinds.has('ArchivePackError')) {
    return `Could not read the files to cache (${detail}); check \`${Inputs.Path}\` and the files' permissions.`;
  }
  if (facts.status !== undefined && facts.status >= 500) {
    return `S3 at ${endpoint} failed with HTTP ${facts.status} (${detail}); this is usually temporary: re-run the job.`;
  }
  return detail;
}

/** Whether an error is S3 refusing the operation for lack of permission. */
export function isAccessDenied(err: unknown): boolean {
  const facts = factsOf(err);
  return facts.codes.has('AccessDenied') || facts.status === 403;
}
