/**
 * Incompressible chunks are stored without running the compressor: a chunk whose sampled bytes
 * are as good as uniformly distributed (already-compressed archives, packed toolchains, media)
 * gains nothing from zstd, which would only emit the same bytes as raw blocks after a fixed
 * per-call cost (a compression context per chunk with node:zlib) and a pass over the data.
 * The frame written instead is what zstd itself writes for such input, so every zstd decoder,
 * `zstd -d` included, reads it, and restores take the raw-block path (storedFrameContent).
 */

const MAX_BLOCK_BYTES = 128 * 1024;
/** Below this, even a noise chunk is left to the compressor: too few bytes to judge. */
const MIN_BYTES = 2048;
/** Enough to tell noise (8.00 ± 0.02 bits) from ENTROPY_BITS; more only costs time. */
const SAMPLES = 2048;
/**
 * Bits per byte (bias-corrected) above which a chunk is stored: order-0 coding would save under
 * 1.25%. Uniform random bytes estimate at 8.00 ± 0.02 from 2,048 samples; text, object code and
 * sparse data sit at 4–7. A chunk of noise behind a tar header (a compiler cache's object file)
 * lands at 7.95–7.97: zstd saves only the header's zeros there, not worth its call each way.
 */
const ENTROPY_BITS = 7.9;
/** Byte counts, reused: the estimate runs for every chunk of every save. */
const counts = new Uint32Array(256);

/**
 * Whether `data` looks incompressible, from the order-0 entropy of evenly spaced samples. Only
 * a hint: a false "no" costs a compression call, a false "yes" stores a chunk uncompressed.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  if (data.length < MIN_BYTES) return false;
  return sampledEntropy(data) > ENTROPY_BITS;
}

/**
 * Order-0 entropy of SAMPLES bytes spread evenly over `data`, with the Miller–Madow correction:
 * the plain estimate falls short by about (bins seen - 1) / (2 n ln 2), 0.09 bits at 2,048 samples.
 */
function sampledEntropy(data: Uint8Array): number {
  counts.fill(0);
  const step = Math.floor(data.length / SAMPLES);
  const end = step * SAMPLES;
  for (let at = 0; at < end; at += step) {
    const byte = data[at] as number;
    counts[byte] = (counts[byte] as number) + 1;
  }
  let entropy = 0;
  let seen = 0;
  for (let b = 0; b < 256; b++) {
    const n = counts[b] as number;
    if (n > 0) {
      seen++;
      const p = n / SAMPLES;
      entropy -= p * Math.log2(p);
    }
  }
  return entropy + (seen - 1) / (2 * SAMPLES * Math.LN2);
}

/**
 * One zstd frame holding `data` as raw blocks (RFC 8878 §3.1.1): single segment, 4-byte content
 * size, no checksum (chunks carry their sha256), blocks of at most 128 KiB, the last one marked.
 */
export function storedFrame(data: Uint8Array): Buffer {
  return Buffer.concat(storedFramePieces(data));
}

/**
 * The frame of {@link storedFrame} as pieces: small headers between views of `data`, which must
 * not change until the pieces are consumed. Saves a copy of every incompressible byte (and the
 * garbage collection of that copy) where the pieces are written straight to a stream.
 */
export function storedFramePieces(data: Uint8Array): Buffer[] {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK_BYTES));
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const pieces: Buffer[] = [];
  const frameHeader = Buffer.allocUnsafe(9);
  frameHeader.writeUInt32LE(0xfd2fb528, 0);
  frameHeader[4] = (2 << 6) | (1 << 5); // content size in 4 bytes; single segment (window = content)
  frameHeader.writeUInt32LE(data.length, 5);
  pieces.push(frameHeader);
  for (let i = 0; i < blocks; i++) {
    const start = i * MAX_BLOCK_BYTES;
    const size = Math.min(MAX_BLOCK_BYTES, data.length - start);
    const last = i === blocks - 1 ? 1 : 0;
    const header = (size << 3) | last; // block type 0: raw
    pieces.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]));
    if (size > 0) pieces.push(view.subarray(start, start + size));
  }
  return pieces;
}
