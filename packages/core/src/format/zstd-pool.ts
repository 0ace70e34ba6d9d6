import type { Transform } from 'node:stream';

/**
 * A few long-lived node:zlib zstd streams, each given one whole frame per write.
 *
 * node:zlib's one-shot `zstdCompress`/`zstdDecompress` build and tear down a zstd context on
 * every call. For the 32 KiB chunks a delta-friendly cache is cut into, that setup cost more than
 * the work itself: 64 MiB of source text took 0.67 CPU-seconds to compress one-shot and 0.21
 * through reused streams (0.34 and 0.20 to decompress), with byte-identical frames.
 *
 * A compressor made with `flush: ZSTD_e_end` ends a frame at the end of every write, and since
 * the frame's whole input arrives in that one call zstd records its size in the header, as a
 * one-shot call does. A decompressor fed one complete frame per write ends each write on a frame
 * boundary. Each stream serves one frame at a time; its output is read back once the write
 * completes (the stream is never switched to flowing mode, so the output waits in its buffer).
 * A stream that failed, or whose output was not what the caller expected, is discarded: its
 * state can no longer be trusted to sit on a frame boundary.
 */
export class ZstdStreamPool {
  private readonly idle: Transform[] = [];
  private readonly waiting: ((stream: Transform) => void)[] = [];
  private open = 0;

  constructor(
    private readonly create: () => Transform,
    private readonly size: number,
  ) {}

  /** Runs `input` through a stream; `accept` says whether the stream may be reused after. */
  async run(input: Buffer, accept: (output: Buffer) => boolean = () => true): Promise<Buffer> {
    const stream = await this.acquire();
    let reusable = false;
    try {
      const output = await new Promise<Buffer>((resolve, reject) => {
        // A decoder error destroys the stream without calling the write callback.
        const fail = (err: Error) => reject(err);
        stream.once('error', fail);
        stream.write(input, (err) => {
          stream.off('error', fail);
          if (err) reject(err);
          else resolve((stream.read() as Buffer | null) ?? Buffer.alloc(0));
        });
      });
      reusable = accept(output);
      return output;
    } finally {
      this.release(stream, reusable);
    }
  }

  private acquire(): Promise<Transform> {
    const stream = this.idle.pop();
    if (stream) return Promise.resolve(stream);
    if (this.open < this.size) {
      this.open++;
      const created = this.create();
      // A failure is reported to the run it belongs to; without a standing listener an error
      // emitted between runs would throw.
      created.on('error', () => undefined);
      return Promise.resolve(created);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(stream: Transform, reusable: boolean): void {
    if (!reusable) {
      stream.destroy();
      this.open--;
      const next = this.waiting.shift();
      if (next) void this.acquire().then(next);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(stream);
    else this.idle.push(stream);
  }
}
