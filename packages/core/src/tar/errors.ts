import { S3CacheError } from '../errors.js';

/**
 * The archive tried to put something where restore must not write (outside the cache paths,
 * through a symlink, a device node, ...). Possibly hostile: the restore stops at that member.
 */
export class UnsafeArchiveError extends S3CacheError {
  constructor(
    /** The member name exactly as stored in the archive. */
    readonly member: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`unsafe archive member ${JSON.stringify(member)}: ${reason}`, options);
  }
}

/** Extraction failed for another reason: corrupt stream, I/O error, an entry in the way. */
export class ArchiveExtractError extends S3CacheError {
  constructor(
    message: string,
    /** The member being extracted, when the failure belongs to one. */
    readonly member: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(member === undefined ? message : `${message} (member ${JSON.stringify(member)})`, options);
  }
}

/** Reading the items to archive failed (permissions, I/O): the archive would be incomplete. */
export class ArchivePackError extends S3CacheError {
  constructor(
    message: string,
    /** The file system path being archived. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}: ${path}`, options);
  }
}
