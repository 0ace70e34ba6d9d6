import { IntegrityError } from '../errors.js';
import { PieceList } from './piece-list.js';

const ZSTD_MAGIC = 0xfd2fb528;

/** A block never regenerates more than 128 KiB (RFC 8878 §3.1.1.2.3). */
const MAX_BLOCK_BYTES = 128 * 1024;

export interface FrameInfo {
  /** Decompressed size declared in the frame header, when the encoder wrote one. */
  contentSize: number | undefined;
  /** Most bytes the frame can decompress to, from its block headers alone. */
  maxContentSize: number;
  /** Bytes the frame occupies, header to checksum. */
  frameLength: number;
}

/**
 * Walks one zstd frame's header and block headers without decompressing (RFC 8878 §3.1.1).
 * Lets us refuse, before any allocation, a region that is not exactly one frame, or that could
 * expand beyond the size the manifest promised: the defence against decompression bombs and
 * frames smuggled after the first.
 */
export function inspectFrame(data: Uint8Array): FrameInfo {
  return walkFrame(new PieceList([data]), undefined);
}

/** Block type 0: the block's bytes are its content, stored as they are. */
const RAW_BLOCK = 0;

/**
 * The content of a frame made only of raw (stored) blocks, which is what zstd writes for
 * incompressible input: its blocks, as views of the frame's own bytes (no copy), in order; no
 * decoder involved. The frame may be split across pieces anywhere, headers included. Undefined
 * for any other frame (compressed or RLE blocks, a checksum, bytes after the frame, a content
 * size other than `expectedSize`): those go to the codec and its checks. Throws IntegrityError
 * for a malformed frame, as inspectFrame does.
 */
export function storedFrameContent(
  frame: Uint8Array | PieceList,
  expectedSize: number,
): Buffer[] | undefined {
  const bytes = frame instanceof PieceList ? frame : new PieceList([frame]);
  const blocks: [number, number][] = [];
  let stored = true;
  const info = walkFrame(bytes, (type, start, size) => {
    if (type === RAW_BLOCK) blocks.push([start, size]);
    else stored = false;
  });
  if (!stored || info.hasChecksum || info.frameLength !== bytes.length) return undefined;
  if (info.contentSize !== undefined && info.contentSize !== expectedSize) return undefined;
  if (info.maxContentSize !== expectedSize) return undefined;
  return blocks.flatMap(([start, size]) => bytes.views(start, start + size));
}

function walkFrame(
  data: PieceList,
  onBlock: ((type: number, start: number, size: number) => void) | undefined,
): FrameInfo & { hasChecksum: boolean } {
  const fail = (why: string): never => {
    throw new IntegrityError(`invalid zstd frame: ${why}`);
  };
  if (data.length < 6) fail('too short');
  // Little-endian, as every zstd field; at most 4 bytes, so the result stays a safe integer.
  const read = (at: number, size: number): number => {
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + data.byteAt(at + i);
    return value;
  };
  if (read(0, 4) !== ZSTD_MAGIC) fail('bad magic number');
  const descriptor = data.byteAt(4);
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  const dictFlag = descriptor & 3;
  if ((descriptor >> 3) & 1) fail('reserved bit set');
  let pos = 5;
  if (!singleSegment) pos += 1;
  pos += [0, 1, 2, 4][dictFlag] as number;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
  if (pos + fcsSize > data.length) fail('truncated header');
  let contentSize: number | undefined;
  if (fcsSize === 0) contentSize = undefined;
  else if (fcsSize === 1) contentSize = data.byteAt(pos);
  else if (fcsSize === 2) contentSize = read(pos, 2) + 256;
  else if (fcsSize === 4) contentSize = read(pos, 4);
  else {
    const high = read(pos + 4, 4);
    if (high >= 2 ** 21) fail('content size too large');
    contentSize = high * 2 ** 32 + read(pos, 4);
  }
  pos += fcsSize;
  let maxContentSize = 0;
  for (;;) {
    if (pos + 3 > data.length) fail('truncated block header');
    const header = read(pos, 3);
    pos += 3;
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) fail('reserved block type');
    if (size > MAX_BLOCK_BYTES) fail('block larger than 128 KiB');
    onBlock?.(type, pos, size);
    maxContentSize += type === 2 ? MAX_BLOCK_BYTES : size;
    pos += type === 1 ? 1 : size;
    if (pos > data.length) fail('truncated block');
    if (last) break;
  }
  if (hasChecksum) pos += 4;
  if (pos > data.length) fail('truncated checksum');
  return { contentSize, maxContentSize, frameLength: pos, hasChecksum: hasChecksum === 1 };
}
