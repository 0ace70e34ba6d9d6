import { describe, expect, it } from 'vitest';
import { readExactly } from './streams.js';

function source(content: Buffer, cap = Number.POSITIVE_INFINITY) {
  return async (buffer: Buffer, position: number) => {
    const n = Math.max(0, Math.min(buffer.length, content.length - position, cap));
    content.copy(buffer, 0, position, position + n);
    return n;
  };
}

async function collect(read: Parameters<typeof readExactly>[0], size: number, chunkSize = 4) {
  const chunks: Buffer[] = [];
  const chunksOf = readExactly(read, size, { chunkSize });
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
