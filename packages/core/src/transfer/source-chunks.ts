import { createHash } from 'node:crypto';
import { Chunker, type ChunkerOptions, type SlabSource } from '../format/chunker.js';
import { looksIncompressible } from '../format/stored-frame.js';

/** A chunk of an archive on its way into a pack. */
export interface SourceChunk {
  data: Buffer;
  /** sha256 of `data`, hex. */
  hash: string;
  /** Stored as raw blocks rather than compressed (see looksIncompressible). */
  incompressible: boolean;
  /**
   * Called, once, by the consumer when it is done with `data`, which may then be written over;
   * only present where the producer reuses memory (chunks from the archiving worker).
   */
  release?: () => void;
}

export function describeChunk(data: Buffer): SourceChunk {
  return {
    data,
    hash: createHash('sha256').update(data).digest('hex'),
    incompressible: looksIncompressible(data),
  };
}

/**
 * Cuts an archive into content-defined chunks (see Chunker) and describes each, yielding them in
 * the groups that each piece of input completes. Each piece is copied into the chunker before
 * the next is asked for: `archive` may write the next piece over the last. Chunks are views of
 * the chunker's slabs, fresh ones unless `slabs` recycles them.
 */
export async function* cutChunks(
  archive: AsyncIterable<Uint8Array>,
  chunking: ChunkerOptions,
  slabs?: SlabSource,
): AsyncGenerator<SourceChunk[], void, undefined> {
  const chunker = new Chunker(chunking, slabs);
  for await (const data of archive) {
    const chunks = chunker.push(data);
    if (chunks.length > 0) yield chunks.map(describeChunk);
  }
  const last = chunker.flush();
  if (last.length > 0) yield last.map(describeChunk);
}
