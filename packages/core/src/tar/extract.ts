import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { S3CacheError } from '../errors.js';
import { ArchiveExtractError } from './errors.js';
import { createPolicy, planMember } from './policy.js';
import { writeChunk } from './streams.js';
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

const END_OF_ARCHIVE = 1024;

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
 * Memory stays bounded: file bodies are written as they arrive, and the source is read only as
 * fast as the disk accepts them.
 */
export async function extractTar(source: Readable, opts: ExtractOptions): Promise<ExtractStats> {
  const policy = createPolicy(opts.workspace, opts.roots);
  const writer = new SafeWriter(policy, opts.onWarning ?? (() => {}));
  const extractor = tar.extract();
  // Why feeding the parser stopped, if it did: a member being written then only sees its stream
  // destroyed ("Stream was destroyed"), which must not hide the real cause.
  const fed: { failure?: Error } = {};
  const pumping = pump(source, extractor, fed);
  try {
    for await (const entry of extractor) {
      const plan = planMember(entry.header, policy);
      try {
        await writer.write(plan, entry);
      } catch (err) {
        if (fed.failure && !(err instanceof S3CacheError)) throw fed.failure;
        throw err instanceof S3CacheError
          ? err
          : new ArchiveExtractError(`cannot extract: ${(err as Error).message}`, plan.name, { cause: err });
      }
      // Bodies of body-less types (a hostile symlink with data) must still be skipped over.
      for await (const _chunk of entry) {
        /* discard */
      }
    }
    await pumping;
  } catch (err) {
    source.destroy();
    extractor.destroy();
    await pumping;
    if (err instanceof S3CacheError) throw err;
    throw new ArchiveExtractError(`corrupt or unreadable archive: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  await writer.finish();
  return writer.stats;
}

/**
 * Feeds the source into the parser with backpressure. Never rejects: a failure destroys the
 * parser with the error, which surfaces from the entry loop above.
 */
async function pump(source: Readable, extractor: tar.Extract, fed: { failure?: Error }): Promise<void> {
  try {
    let tail: Buffer = Buffer.alloc(0);
    for await (const data of source) {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array);
      tail = lastBytes(tail, chunk, END_OF_ARCHIVE);
      await writeChunk(extractor, chunk);
    }
    // tar-stream accepts a stream cut at an entry boundary; a real archive always ends with
    // (at least) two zero blocks, so their absence means we did not get the whole archive.
    if (tail.length < END_OF_ARCHIVE || tail.some((byte) => byte !== 0)) {
      throw new Error('truncated archive: no end-of-archive marker');
    }
    extractor.end(undefined);
  } catch (err) {
    fed.failure = err instanceof Error ? err : new Error(String(err));
    extractor.destroy(fed.failure);
  }
}

function lastBytes(previous: Buffer, chunk: Buffer, count: number): Buffer {
  if (chunk.length >= count) return chunk.subarray(chunk.length - count);
  const joined = Buffer.concat([previous, chunk]);
  return joined.subarray(Math.max(0, joined.length - count));
}
