import type { Readable } from 'node:stream';
import { S3CacheError } from '../errors.js';
import { ArchiveExtractError } from './errors.js';
import { END, NEED_MORE, TarReader } from './parse.js';
import { createPolicy, type MemberPlan, planMember } from './policy.js';
import { type ExtractStats, SafeWriter } from './writer.js';

export { ArchiveExtractError, UnsafeArchiveError } from './errors.js';
export type { ExtractStats } from './writer.js';

export interface ExtractOptions {
  /** Member names are relative to this directory. */
  workspace: string;
  /** Archive names (workspace-relative) of the only places members may be written. */
  roots: readonly string[];
  /** Told about non-fatal problems (a directory whose mode or mtime could not be restored). */
  onWarning?: (message: string) => void;
}

/**
 * Files up to this size are gathered whole before they are written, with synchronous calls;
 * larger ones are written batch by batch as they arrive, asynchronously.
 */
const WHOLE_FILE_BYTES = 1024 * 1024;

/**
 * Extracts a tar stream into the workspace, admitting only members inside `roots`.
 *
 * Throws UnsafeArchiveError for the first member that would escape the roots, write through a
 * symlink, or create anything but files, directories, symlinks and hardlinks; ArchiveExtractError
 * for a corrupt or truncated stream and I/O failures; errors of this package raised by the source
 * (e.g. an integrity failure) pass through unchanged. On failure the source is destroyed (no point
 * downloading the rest) and members before the failing one stay on disk: callers treat any failure
 * as a cache miss.
 *
 * Memory stays bounded: the source is read only when the parser needs more data, so only as fast
 * as the disk accepts it; a large file's content is written batch by batch as it arrives.
 */
export async function extractTar(source: Readable, opts: ExtractOptions): Promise<ExtractStats> {
  const policy = createPolicy(opts.workspace, opts.roots);
  const writer = new SafeWriter(policy, opts.onWarning ?? (() => {}));
  const reader = new TarReader(source[Symbol.asyncIterator]());
  try {
    for (;;) {
      // Members already buffered are parsed and written without yielding: awaiting only when
      // the parser runs out of data is what makes many small files fast.
      let header = reader.next();
      while (header === NEED_MORE) {
        await reader.fill();
        header = reader.next();
      }
      if (header === END) break;
      const plan = planMember(header, policy);
      try {
        if (plan.kind !== 'file') writer.writeEntry(plan);
        else if (reader.remaining > WHOLE_FILE_BYTES) await writeLargeFile(plan, reader, writer);
        else {
          const size = reader.remaining;
          if (!reader.has(size)) {
            // Parents first, as before the content is streamed in: a member whose content
            // never arrives leaves the same traces (its directories, no file) either way.
            writer.prepareParents(plan);
            await reader.ensure(size);
          }
          writer.writeFile(plan, reader.take(size));
        }
      } catch (err) {
        // A source or stream failure while we waited for the content: that is the real cause.
        if (reader.failure) throw reader.failure;
        throw err instanceof S3CacheError
          ? err
          : new ArchiveExtractError(`cannot extract: ${(err as Error).message}`, plan.name, { cause: err });
      }
    }
  } catch (err) {
    source.destroy();
    if (err instanceof S3CacheError) throw err;
    throw new ArchiveExtractError(`corrupt or unreadable archive: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  writer.finish();
  return writer.stats;
}

/** Bytes of a large file's content gathered before a write call. */
const WRITE_BATCH_BYTES = 1024 * 1024;

function writeLargeFile(plan: MemberPlan, reader: TarReader, writer: SafeWriter): Promise<void> {
  return writer.writeLargeFile(plan, async () => {
    const batch: Buffer[] = [];
    let bytes = 0;
    while (bytes < WRITE_BATCH_BYTES && reader.remaining > 0) {
      for (const piece of await reader.takeUpTo(WRITE_BATCH_BYTES - bytes)) {
        batch.push(piece);
        bytes += piece.length;
      }
    }
    return batch;
  });
}
