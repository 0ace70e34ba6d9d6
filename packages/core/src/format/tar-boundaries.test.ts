import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { pack as tarPack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { Chunker } from './chunker.js';
import { TarBoundaries } from './tar-boundaries.js';

/** Deterministic bytes per file name, so an unchanged file is byte-identical across builds. */
function contentOf(name: string, size: number): Buffer {
  const key = createHash('sha256').update(name).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A tar built by tar-stream, with the offset of each entry's first header. */
async function makeTar(
  files: { name: string; size: number }[],
): Promise<{ tar: Buffer; starts: Map<string, number> }> {
  const p = tarPack();
  const parts: Buffer[] = [];
  p.on('data', (d) => parts.push(d as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  const starts = new Map<string, number>();
  for (const file of files) {
    starts.set(
      file.name,
      parts.reduce((n, b) => n + b.length, 0),
    );
    await new Promise<void>((resolve, reject) =>
      p.entry(
        { name: file.name, size: file.size, mtime: new Date(0) },
        contentOf(file.name, file.size),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    await new Promise((r) => setImmediate(r));
  }
  p.finalize();
  await done;
  return { tar: Buffer.concat(parts), starts };
}

function chunk(tar: Buffer, pieces: number, fileAlignBytes: number): Buffer[] {
  const chunker = new Chunker({ minSize: 4096, avgSize: 16384, maxSize: 65536, fileAlignBytes });
  const out: Buffer[] = [];
  const step = Math.ceil(tar.length / pieces);
  for (let i = 0; i < tar.length; i += step) out.push(...chunker.push(tar.subarray(i, i + step)));
  out.push(...chunker.flush());
  return out;
}

describe('tar-aligned chunking', () => {
  const files = Array.from({ length: 60 }, (_, i) => ({
    // Long unicode names force pax extension headers in front of some entries.
    name: i % 7 === 0 ? `dir/${'ü'.repeat(80)}-${i}.o` : `dir/f${i}.o`,
    size: i % 3 === 0 ? 500 : 9000 + i * 311,
  }));

  it('starts every file of at least the threshold at a chunk boundary, whatever the input split', async () => {
    const { tar, starts } = await makeTar(files);
    for (const pieces of [1, 7, 1000]) {
      const chunks = chunk(tar, pieces, 8192);
      expect(Buffer.concat(chunks).equals(tar)).toBe(true);
      const boundaries = new Set<number>();
      let at = 0;
      for (const c of chunks) {
        at += c.length;
        boundaries.add(at);
      }
      for (const file of files.slice(1)) {
        const start = starts.get(file.name) as number;
        expect(boundaries.has(start)).toBe(file.size >= 8192);
      }
    }
  });

  it('re-writes only the chunks of the changed file', async () => {
    const before = await makeTar(files);
    const changed = files.map((f, i) => (i === 31 ? { ...f, size: f.size + 100 } : f));
    const after = await makeTar(changed);
    for (const fileAlignBytes of [0, 8192]) {
      const known = new Set(chunk(before.tar, 3, fileAlignBytes).map((c) => c.toString('base64')));
      const fresh = chunk(after.tar, 3, fileAlignBytes).filter((c) => !known.has(c.toString('base64')));
      const freshBytes = fresh.reduce((n, c) => n + c.length, 0);
      const fileBytes = 512 + (changed[31]?.size ?? 0);
      // Aligned: the changed file's own chunks, plus at most the small files sharing its last chunk.
      if (fileAlignBytes > 0) expect(freshBytes).toBeLessThan(fileBytes + 2 * 1024 + 512);
      else expect(freshBytes).toBeGreaterThan(fileBytes);
    }
  });

  it('reports nothing for a stream that is not a tar', () => {
    const t = new TarBoundaries(1);
    t.push(randomBytes(4096));
    expect(t.nextCut(0, 1e9)).toBeUndefined();
    expect(t.settledUntil()).toBe(Number.POSITIVE_INFINITY);
  });
});
