import { S3CacheError } from '../errors.js';

/**
 * A `path` line that cannot be turned into a glob (nothing after `!`, `.`/`..` after a wildcard).
 * Deliberately not a ValidationError: upstream only fails the step for key and empty-path
 * problems, and a bad pattern there surfaces as a save warning, never a failed job.
 */
export class InvalidPathPatternError extends S3CacheError {
  constructor(
    readonly pattern: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid path pattern '${pattern}': ${reason}`, options);
  }
}
