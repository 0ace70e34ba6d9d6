/**
 * Named errors. Callers decide policy by class: validation errors fail a job, everything else
 * becomes a warning and a cache miss.
 */
export class S3CacheError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the user (key, paths, settings). The only errors that may fail a job. */
export class ValidationError extends S3CacheError {}

/** An object the cache needs does not exist (expired, evicted, or never completed). */
export class ObjectMissingError extends S3CacheError {
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object not found: ${key}`, options);
  }
}

/** Stored bytes do not match what the manifest promises. Never restore such data. */
export class IntegrityError extends S3CacheError {}

/** A manifest that does not parse or contradicts itself (possibly hostile). */
export class ManifestError extends S3CacheError {}

/** A conditional write lost: somebody else created the object first. */
export class AlreadyExistsError extends S3CacheError {
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object already exists: ${key}`, options);
  }
}

/** The store refused or failed an operation (network, 5xx after retries, access denied, ...). */
export class StoreError extends S3CacheError {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transfer took longer than its deadline. */
export class TimeoutError extends S3CacheError {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
