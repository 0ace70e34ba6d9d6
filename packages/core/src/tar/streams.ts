/** The subset of Node and streamx writables the helpers below rely on. */
export interface WritableLike {
  write(chunk: Buffer): boolean;
  once(event: 'drain' | 'close' | 'error', listener: (err?: Error) => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: (err?: Error) => void): unknown;
  readonly destroyed: boolean;
}

/**
 * Writes one chunk and resolves once the stream accepts more: the producer never runs ahead of
 * the consumer, which is what keeps memory bounded for multi-gigabyte files. Rejects when the
 * stream dies while we wait, so a destroyed consumer cannot leave the producer hanging forever.
 */
export function writeChunk(stream: WritableLike, chunk: Buffer): Promise<void> {
  if (stream.destroyed) return Promise.reject(new Error('stream destroyed'));
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error('stream closed before it drained'));
    };
    const onError = (err?: Error) => {
      cleanup();
      reject(err ?? new Error('stream failed'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
    stream.once('error', onError);
  });
}

export type ReadAt = (buffer: Buffer, position: number) => Promise<number>;

/**
 * Yields exactly `size` bytes from `read`, chunk by chunk, and returns how many of them really
 * came from `read`. A source that ends early (the file shrank after its header was written) is
 * padded with zeros and a longer one is cut: either way the tar stream stays well-formed. The
 * next chunk is read only when the consumer asks for it.
 */
export async function* readExactly(
  read: ReadAt,
  size: number,
  chunkSize = 256 * 1024,
): AsyncGenerator<Buffer, number, undefined> {
  let position = 0;
  while (position < size) {
    const want = Math.min(chunkSize, size - position);
    // A fresh buffer per chunk: the tar stream keeps a reference until the consumer reads it.
    const buffer = Buffer.allocUnsafe(want);
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
