import { createCipheriv, createHash } from 'node:crypto';
import { seededRandom } from '@s3cache/testkit';
import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_CHUNKING, Chunker, type ChunkerOptions, DEFAULT_CHUNKING } from './chunker.js';

/**
 * Pins the exact chunk boundaries of fixed inputs. Boundaries are part of the storage format: a
 * change would make every existing entry's chunks unmatched by later saves (no delta reuse). Any
 * speed-up of the chunker must leave these lengths byte-for-byte identical.
 */

/** Deterministic pseudo-random bytes (AES-128-CTR keystream of a fixed key). */
function noise(size: number, seed: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const WORDS = 'const let return import from export async await function class if else'.split(' ');

/** Low-entropy source-like text: what a package store holds. */
function text(size: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const words = Array.from(
      { length: 2 + Math.floor(random() * 6) },
      () => WORDS[Math.floor(random() * 12)],
    );
    const line = `${words.join(' ')} ${Math.floor(random() * 1000)};\n`;
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

/** A tar stream with a mix of small text files, large incompressible files and a pax entry. */
async function tarball(): Promise<Buffer> {
  const random = seededRandom(7);
  const pack = tar.pack();
  const done = (async () => {
    const parts: Buffer[] = [];
    for await (const part of pack) parts.push(part as Buffer);
    return Buffer.concat(parts);
  })();
  const mtime = new Date(1_700_000_000_000);
  for (let i = 0; i < 120; i++) {
    const large = random() < 0.3;
    const size = large ? 8192 + Math.floor(random() * 90_000) : Math.floor(random() * 8000);
    const body = large ? noise(size, 1000 + i) : text(size, 2000 + i);
    const name = i % 17 === 0 ? `dir/${'long-name-'.repeat(12)}${i}` : `dir/file-${i}`;
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, size, mtime, mode: 0o644 }, body, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  return done;
}

/** Small files around one 24 MiB incompressible file: large-file chunk sizes apply inside it. */
async function tarballWithLargeFile(): Promise<Buffer> {
  const pack = tar.pack();
  const done = (async () => {
    const parts: Buffer[] = [];
    for await (const part of pack) parts.push(part as Buffer);
    return Buffer.concat(parts);
  })();
  const mtime = new Date(1_700_000_000_000);
  const files: [string, Buffer][] = [
    ['a/small-1', text(5000, 31)],
    ['a/mid', noise(40_000, 32)],
    ['a/large.bin', noise(24 * 1024 * 1024 + 333, 33)],
    ['a/small-2', text(3000, 34)],
    ['a/mid-2', noise(20_000, 35)],
  ];
  for (const [name, body] of files) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: body.length, mtime, mode: 0o644 }, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  return done;
}

function lengths(data: Buffer, piece: number, opts: ChunkerOptions): number[] {
  const chunker = new Chunker(opts);
  const out: number[] = [];
  const chunks: Buffer[] = [];
  const random = seededRandom(piece);
  for (let at = 0; at < data.length; ) {
    // piece 0: irregular pieces (1 byte up to 300 KiB); otherwise fixed-size pieces.
    const size = piece > 0 ? piece : 1 + Math.floor(random() ** 3 * 300 * 1024);
    for (const chunk of chunker.push(data.subarray(at, at + size))) chunks.push(chunk);
    at += size;
  }
  chunks.push(...chunker.flush());
  // Chunks stay intact while later input arrives (they may be views of the chunker's buffers).
  expect(Buffer.concat(chunks).equals(data)).toBe(true);
  for (const chunk of chunks) out.push(chunk.length);
  return out;
}

function fingerprint(list: number[]): string {
  return `${list.length}:${createHash('sha256').update(list.join(',')).digest('hex').slice(0, 16)}`;
}

const SMALL: ChunkerOptions = { minSize: 2048, avgSize: 8192, maxSize: 32768 };

describe('Chunker boundaries are pinned', () => {
  const cases: [string, () => Buffer | Promise<Buffer>, ChunkerOptions, string][] = [
    ['noise, default chunking', () => noise(6 * 1024 * 1024, 1), DEFAULT_CHUNKING, '162:f5c3d85a7e807a6d'],
    ['noise, 2K/8K/32K', () => noise(2 * 1024 * 1024, 2), SMALL, '223:7dad4153bc758a6c'],
    ['text, default chunking', () => text(3 * 1024 * 1024, 3), DEFAULT_CHUNKING, '85:88d8d17c9f802061'],
    [
      'zeros then noise',
      () => Buffer.concat([Buffer.alloc(700_000), noise(300_000, 4)]),
      DEFAULT_CHUNKING,
      '16:3978f943657b6e0e',
    ],
    ['tar stream, files >= 8K aligned', tarball, DEFAULT_CHUNKING, '81:4c3412dc828f8671'],
    ['tar stream, no alignment', tarball, { ...DEFAULT_CHUNKING, fileAlignBytes: 0 }, '67:b2583015a34183b4'],
    ['noise, archive chunking', () => noise(40 * 1024 * 1024, 5), ARCHIVE_CHUNKING, '36:ac52f1f68889b3be'],
    ['text, archive chunking', () => text(12 * 1024 * 1024, 6), ARCHIVE_CHUNKING, '11:0e85f758b1a21a57'],
    ['tar stream, archive chunking', tarball, ARCHIVE_CHUNKING, '3:d4764edd6ac28a93'],
    [
      'tar stream with a large file, default chunking',
      tarballWithLargeFile,
      DEFAULT_CHUNKING,
      '26:7a8d17be69786a98',
    ],
  ];
  for (const [name, make, opts, expected] of cases) {
    it(name, async () => {
      const data = await make();
      const whole = lengths(data, data.length, opts);
      expect(whole.reduce((a, b) => a + b, 0)).toBe(data.length);
      for (const piece of [0, 512, 4096, 65_536 + 7]) expect(lengths(data, piece, opts)).toEqual(whole);
      expect(fingerprint(whole)).toBe(expected);
    });
  }
});
