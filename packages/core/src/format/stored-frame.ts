/**
 * Incompressible chunks are stored without running the compressor: a chunk whose sampled bytes
 * are as good as uniformly distributed (already-compressed archives, packed toolchains, media)
 * gains nothing from zstd, which would only emit the same bytes as raw blocks after a fixed
 * per-call cost (a compression context per chunk with node:zlib) and a pass over the data.
 * The frame written instead is what zstd itself writes for such input, so every zstd decoder,
 * `zstd -d` included, reads it, and restores take the raw-block path (storedFrameContent).
 */

const MAX_BLOCK_BYTES = 128 * 1024;
/** Fewer samples than this estimate entropy too roughly: leave the chunk to the compressor. */
const MIN_SAMPLES = 8192;
const MAX_SAMPLES = 16384;
/**
 * Bits per byte above which a sample counts as incompressible. Uniform random bytes estimate at
 * 7.98–7.99 from 8,192–16,384 samples (the estimator is biased low by ~255 / (2n ln 2)); text,
 * object code and sparse data sit far below, at 4–7.
 */
const ENTROPY_BITS = 7.96;

/**
 * Whether `data` looks incompressible, from the order-0 entropy of evenly spaced samples. Only
 * a hint: a false "no" costs a compression call, a false "yes" stores a chunk uncompressed.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  if (data.length < MIN_SAMPLES) return false;
  const samples = Math.min(MAX_SAMPLES, data.length);
  const step = data.length / samples;
  const counts = new Uint32Array(256);
  for (let i = 0; i < samples; i++) {
    const at = Math.floor(i * step);
    counts[data[at] as number] = (counts[data[at] as number] as number) + 1;
  }
  let entropy = 0;
  for (let b = 0; b < 256; b++) {
    const n = counts[b] as number;
    if (n > 0) {
      const p = n / samples;
      entropy -= p * Math.log2(p);
    }
  }
  return entropy > ENTROPY_BITS;
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
