import { S3CacheError, ValidationError } from '@s3cache/core';

/** Exit statuses: part of the CLI's contract with scripts (documented in `--help` and the README). */
export const ExitCode = {
  ok: 0,
  /** Something failed: a store error, a failed verification, a doctor check that failed. */
  failure: 1,
  /** The command line or an input was wrong, or a confirmation was refused: nothing was changed. */
  usage: 2,
  /** `restore --fail-on-cache-miss` found nothing. */
  cacheMiss: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  success (a restore miss is a success unless --fail-on-cache-miss)
  1  failure: store unreachable or refusing, failed verification, a doctor check failed
  2  usage or validation error: bad flag or key, confirmation refused; nothing was changed
  3  cache miss with --fail-on-cache-miss`;

/** A wrong command line or an input the CLI refuses before doing anything. Exit 2. */
export class UsageError extends S3CacheError {}

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError || err instanceof ValidationError) return ExitCode.usage;
  return ExitCode.failure;
}
