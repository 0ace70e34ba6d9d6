/**
 * Named errors of the janitor. Callers (the Lambda handler, the CLI) decide by class: a
 * configuration error is the operator's to fix and must not be retried; everything else is a
 * run that may simply be run again (every deletion is idempotent).
 */
export class JanitorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad settings: policy JSON, environment variables, option values. */
export class JanitorConfigError extends JanitorError {}

/** Listing the bucket failed: without a complete listing nothing may be planned. */
export class ListingError extends JanitorError {}
