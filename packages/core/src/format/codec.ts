import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { IntegrityError } from '../errors.js';
import { MAX_CHUNK_BYTES } from './manifest.js';
import { inspectFrame } from './zstd-frame.js';
import { ZstdStreamPool } from './zstd-pool.js';

/** One zstd frame per call. Decoders check the frame's shape before they allocate. */
export interface ZstdCodec {
  readonly name: 'native' | 'node:zlib';
  compress(data: Buffer, level: number): Promise<Buffer>;
  /** Decompresses exactly one frame that must expand to `expectedSize` bytes. */
  decompress(frame: Buffer, expectedSize: number): Promise<Buffer>;
}

export class CodecUnavailableError extends Error {
  override name = 'CodecUnavailableError';
}

interface NativeZstd {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

function checkFrame(frame: Buffer, expectedSize: number): void {
  const info = inspectFrame(frame);
  if (info.frameLength !== frame.length) {
    throw new IntegrityError(`zstd region holds ${frame.length - info.frameLength} bytes after its frame`);
  }
  if (info.contentSize !== undefined && info.contentSize !== expectedSize) {
    throw new IntegrityError(`zstd frame declares ${info.contentSize} bytes, manifest says ${expectedSize}`);
  }
  // Block headers bound the output: a frame that cannot hold the promised bytes, or that could
  // expand far past any chunk we write, is refused before the decoder allocates anything.
  if (info.maxContentSize < expectedSize || info.maxContentSize > 2 * MAX_CHUNK_BYTES) {
    throw new IntegrityError(
      `zstd frame can expand to ${info.maxContentSize} bytes, manifest says ${expectedSize}`,
    );
  }
}

/**
 * Runs a decoder: a frame it cannot decode (corrupt entropy tables, a size past the output
 * limit) is an integrity failure of the stored bytes like a hash mismatch, not an archive or
 * I/O problem, and is reported as one.
 */
async function decode(run: () => Promise<Buffer>, expectedSize: number): Promise<Buffer> {
  let out: Buffer;
  try {
    out = await run();
  } catch (err) {
    const why = (err as Error)?.message ?? String(err);
    throw new IntegrityError(`zstd frame does not decode to the ${expectedSize} bytes promised: ${why}`, {
      cause: err,
    });
  }
  return checkSize(out, expectedSize);
}

function checkSize(out: Buffer, expectedSize: number): Buffer {
  if (out.length !== expectedSize) {
    throw new IntegrityError(`chunk decompressed to ${out.length} bytes, expected ${expectedSize}`);
  }
  return out;
}

/** @mongodb-js/zstd (1.x: per-platform binaries from the npm registry). Throws when it cannot load. */
export function nativeCodec(): ZstdCodec {
  let binding: NativeZstd;
  try {
    // A bundled action has no node_modules: the require fails there and we fall back to node:zlib.
    binding = createRequire(import.meta.url)('@mongodb-js/zstd') as NativeZstd;
  } catch (err) {
    throw new CodecUnavailableError('@mongodb-js/zstd native binding cannot be loaded', { cause: err });
  }
  return {
    name: 'native',
    compress: (data, level) => binding.compress(data, level),
    async decompress(frame, expectedSize) {
      checkFrame(frame, expectedSize);
      return decode(() => binding.decompress(frame), expectedSize);
    },
  };
}

/** Output slab of each pooled stream: frames are slices of it, one slab serves many chunks. */
const ZLIB_SLAB = 1024 * 1024;
/** Streams per pool: libuv's default thread pool runs four jobs at once. */
const ZLIB_STREAMS = 4;
/**
 * Above any frame's output (decoders refuse frames that could expand past 2 x MAX_CHUNK_BYTES):
 * a stream whose buffered output reached its high-water mark would hold back the write callback
 * the pool waits for before it reads.
 */
const ZLIB_HIGH_WATER = 2 * MAX_CHUNK_BYTES + ZLIB_SLAB;

type ZlibZstd = typeof zlib & {
  createZstdCompress?: (options: object) => Transform;
  createZstdDecompress?: (options: object) => Transform;
  constants: Record<string, number>;
};

/** node:zlib zstd (Node >= 22.15 / 23.8): always there on the Actions node24 runtime and Lambda. */
export function zlibCodec(): ZstdCodec {
  const z = zlib as ZlibZstd;
  const { createZstdCompress, createZstdDecompress } = z;
  if (typeof createZstdCompress !== 'function' || typeof createZstdDecompress !== 'function') {
    throw new CodecUnavailableError(`node:zlib has no zstd in Node ${process.version} (needs >= 22.15)`);
  }
  const c = z.constants;
  const compressors = new Map<number, ZstdStreamPool>();
  const compressorFor = (level: number): ZstdStreamPool => {
    let pool = compressors.get(level);
    if (!pool) {
      const options = {
        flush: c.ZSTD_e_end,
        chunkSize: ZLIB_SLAB,
        readableHighWaterMark: ZLIB_HIGH_WATER,
        params: {
          [c.ZSTD_c_compressionLevel as number]: level,
          [c.ZSTD_c_contentSizeFlag as number]: 1,
          [c.ZSTD_c_checksumFlag as number]: 0,
        },
      };
      pool = new ZstdStreamPool(() => createZstdCompress(options), ZLIB_STREAMS);
      compressors.set(level, pool);
    }
    return pool;
  };
  const decompressor = new ZstdStreamPool(
    () => createZstdDecompress({ chunkSize: ZLIB_SLAB, readableHighWaterMark: ZLIB_HIGH_WATER }),
    ZLIB_STREAMS,
  );
  return {
    name: 'node:zlib',
    compress: (data, level) => compressorFor(level).run(data),
    async decompress(frame, expectedSize) {
      // The frame's block headers bound its output before the decoder sees it.
      checkFrame(frame, expectedSize);
      return decode(() => decompressor.run(frame, (out) => out.length === expectedSize), expectedSize);
    },
  };
}

let cached: ZstdCodec | undefined;

/** The native binding where it loads, otherwise node:zlib. */
export function defaultCodec(): ZstdCodec {
  if (cached) return cached;
  const errors: unknown[] = [];
  for (const make of [nativeCodec, zlibCodec]) {
    try {
      cached = make();
      return cached;
    } catch (err) {
      errors.push(err);
    }
  }
  throw new CodecUnavailableError(
    `no zstd codec: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`,
  );
}
