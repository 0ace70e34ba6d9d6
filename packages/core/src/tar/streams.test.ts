import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readExactly, writeChunk } from './streams.js';

function source(content: Buffer, cap = Number.POSITIVE_INFINITY) {
  return async (buffer: Buffer, position: number) => {
    const n = Math.max(0, Math.min(buffer.length, content.length - position, cap));
    content.copy(buffer, 0, position, position + n);
    return n;
  };
}

async function collect(read: Parameters<typeof readExactly>[0], size: number, chunkSize = 4) {
  const chunks: Buffer[] = [];
  const chunksOf = readExactly(read, size, chunkSize);
  for (let next = await chunksOf.next(); ; next = await chunksOf.next()) {
    if (next.done) return { copied: next.value, bytes: Buffer.concat(chunks) };
    chunks.push(Buffer.from(next.value));
  }
}

describe('readExactly', () => {
  it('copies exactly size bytes in chunks', async () => {
    expect(await collect(source(Buffer.from('hello world')), 11)).toEqual({
      copied: 11,
      bytes: Buffer.from('hello world'),
    });
  });

  it('pads a source that ends early with zeros', async () => {
    const { copied, bytes } = await collect(source(Buffer.from('abc')), 10);
    expect(copied).toBe(3);
    expect(bytes).toEqual(Buffer.concat([Buffer.from('abc'), Buffer.alloc(7)]));
  });

  it('cuts a source that is longer than the header said', async () => {
    expect(await collect(source(Buffer.from('abcdefghij')), 6)).toEqual({
      copied: 6,
      bytes: Buffer.from('abcdef'),
    });
  });

  it('copes with short reads', async () => {
    expect(await collect(source(Buffer.from('abcdefghij'), 3), 10)).toEqual({
      copied: 10,
      bytes: Buffer.from('abcdefghij'),
    });
  });

  it('writes nothing for an empty file', async () => {
    expect(await collect(source(Buffer.alloc(0)), 0)).toEqual({ copied: 0, bytes: Buffer.alloc(0) });
  });
});

describe('writeChunk', () => {
  it('waits for drain when the stream is full', async () => {
    const stream = new PassThrough({ highWaterMark: 4 });
    let resolved = false;
    const pending = writeChunk(stream, Buffer.alloc(8)).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    stream.read();
    await pending;
    expect(resolved).toBe(true);
  });

  it('rejects instead of hanging when the stream is destroyed while waiting, or already was', async () => {
    const stream = new Writable({ highWaterMark: 1, write: () => {} });
    const pending = writeChunk(stream, Buffer.alloc(8));
    stream.destroy();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(writeChunk(stream, Buffer.alloc(1))).rejects.toThrow(/destroyed/);
  });
});
