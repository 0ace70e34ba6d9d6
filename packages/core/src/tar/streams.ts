export type ReadAt = (buffer: Buffer, position: number) => Promise<number>;

/**
 * Yields exactly `size` bytes from `read`, chunk by chunk, and returns how many of them really
 * came from `read`. A source that ends early (the file shrank after its header was written) is
 * padded with zeros and a longer one is cut: either way the tar stream stays well-formed. The
 * next chunk is read only when the consumer asks for it; `opts.reuse`, when given, is the buffer
 * every chunk is read into (and its length the chunk size).
 */
export async function* readExactly(
  read: ReadAt,
  size: number,
  opts: { chunkSize?: number; reuse?: Buffer } = {},
): AsyncGenerator<Buffer, number, undefined> {
  const chunkSize = opts.reuse?.length ?? opts.chunkSize ?? 256 * 1024;
  let position = 0;
  while (position < size) {
    const want = Math.min(chunkSize, size - position);
    // Without `reuse` a fresh buffer per chunk: a stream keeps a reference until its consumer
    // reads it. With it, each chunk is read into `reuse`, valid until the next is asked for.
    const buffer = opts.reuse ? opts.reuse.subarray(0, want) : Buffer.allocUnsafe(want);
    const got = await read(buffer, position);
    if (got <= 0) break;
    position += got;
    yield got === want ? buffer : buffer.subarray(0, got);
  }
  const copied = position;
  while (position < size) {
    const length = Math.min(chunkSize, size - position);
    yield Buffer.alloc(length);
    position += length;
  }
  return copied;
}
