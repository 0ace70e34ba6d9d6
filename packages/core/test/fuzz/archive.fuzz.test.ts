// Property-based tests of the pack and archive readers together (readChunks → extractTar), the
// way a restore uses them. With the manifest fixed and the pack damaged (flipped, cut, extended,
// spliced, replaced by random bytes), a restore either reproduces the original tree exactly or
// fails with a typed error, and nothing is ever written outside the cache paths. With the
// manifest itself rearranged (it is the root of trust: whoever writes it chooses the content),
// nothing is written outside the cache paths either, and failures are typed.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3CacheError } from '../../src/errors.js';
import { defaultCodec, nativeCodec, type ZstdCodec, zlibCodec } from '../../src/format/codec.js';
import type { Chunk } from '../../src/format/manifest.js';
import { resolveCachePaths } from '../../src/paths/resolve.js';
import type { Store } from '../../src/store/store.js';
import { extractTar } from '../../src/tar/extract.js';
import { createTarStream } from '../../src/tar/pack.js';
import { readChunks } from '../../src/transfer/pack-reader.js';
import { writePack } from '../../src/transfer/pack-writer.js';
import { cutChunks } from '../../src/transfer/source-chunks.js';
import { digest, makeTree, tempDir } from '../faults/support.js';

const PACK_KEY = 'p/packs/one.pack';

/** Just enough of a Store for writePack and readChunks, in memory. Short reads like S3's past the end. */
function memoryStore(objects: Map<string, Buffer>): Store {
  return {
    location: 'memory',
    supportsConditionalDelete: false,
    async upload(key, body) {
      const parts: Buffer[] = [];
      for await (const part of body) parts.push(part as Buffer);
      objects.set(key, Buffer.concat(parts));
      return { size: objects.get(key)?.length ?? 0 };
    },
    async getRange(key, start, end) {
      const object = objects.get(key);
      if (!object) throw new Error(`no ${key}`);
      return object.subarray(start, end);
    },
  } as Store;
}

describe('pack + archive readers (property-based)', () => {
  let root: string;
  let source: string;
  let original: Record<string, string>;
  let pack: Buffer;
  let chunks: Chunk[];
  let runs = 0;

  beforeAll(async () => {
    root = await tempDir('fuzz-archive');
    source = await makeTree(join(root, 'source'), 5, 6, 24 * 1024);
    original = await digest(join(source, 'cache'));
    const items = (await resolveCachePaths(['cache'], { workspace: source })).items;
    const objects = new Map<string, Buffer>();
    // Small chunks: many frames, so damage lands in headers, bodies and between frames.
    const chunking = { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 16 * 1024 };
    const written = await writePack(cutChunks(createTarStream(items), chunking), {
      store: memoryStore(objects),
      codec: defaultCodec(),
      packKey: PACK_KEY,
      tags: { type: 'base' },
    });
    pack = objects.get(PACK_KEY) as Buffer;
    chunks = written.chunks.map((c) => ({
      hash: c.hash,
      rawLength: c.rawLength,
      pack: 0,
      offset: c.offset,
      length: c.length,
    }));
    expect(chunks.length).toBeGreaterThan(8);
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  /**
   * Restores `packBytes` with `chunkList` into a fresh workspace next to a sentinel directory.
   * Returns the outcome; asserts nothing escaped the cache paths and failures are typed.
   */
  async function restore(packBytes: Buffer, chunkList: Chunk[], codec: ZstdCodec = defaultCodec()) {
    const run = join(root, `run-${runs++}`);
    const workspace = join(run, 'ws');
    const outside = join(run, 'outside');
    await fs.mkdir(workspace, { recursive: true });
    await fs.mkdir(outside);
    await fs.writeFile(join(outside, 'sentinel'), 'untouched');
    try {
      const stream = readChunks({
        store: memoryStore(new Map([[PACK_KEY, packBytes]])),
        codec,
        chunks: chunkList,
        packKeys: [PACK_KEY],
        concurrency: 3,
        maxRangeBytes: 20 * 1024,
      });
      let error: unknown;
      try {
        await extractTar(stream, { workspace, roots: ['cache'] });
      } catch (err) {
        error = err;
      }
      if (error !== undefined) expect(error, String(error)).toBeInstanceOf(S3CacheError);
      // Nothing outside `ws/cache`: the run dir holds ws and outside, ws holds at most cache.
      expect((await fs.readdir(run)).sort()).toEqual(['outside', 'ws']);
      expect((await fs.readdir(workspace)).filter((n) => n !== 'cache')).toEqual([]);
      expect(await digest(outside)).toEqual({
        sentinel: `file ${createHash('sha256').update('untouched').digest('hex')}`,
      });
      return { error, tree: await digest(join(workspace, 'cache')) };
    } finally {
      await fs.rm(run, { recursive: true, force: true });
    }
  }

  /** With the manifest intact: the original exactly, or an error and only original bytes on disk. */
  function expectExactOrError(outcome: { error: unknown; tree: Record<string, string> }) {
    if (outcome.error === undefined) {
      expect(outcome.tree, 'an undamaged-looking restore must be the original').toEqual(original);
      return;
    }
    for (const [path, what] of Object.entries(outcome.tree)) {
      if (what === 'dir') continue;
      expect(original[path], `wrong item ${path} after a failed restore`).toBe(what);
    }
  }

  it('restores the undamaged pack exactly (baseline)', async () => {
    const outcome = await restore(pack, chunks);
    expect(outcome.error).toBeUndefined();
    expect(outcome.tree).toEqual(original);
  });

  it('damaged packs (flips, cuts, extensions, splices) restore exactly or fail typed', async () => {
    const damage = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 5 }),
      }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      }),
      fc.record({
        kind: fc.constant('splice' as const),
        at: fc.nat(),
        remove: fc.nat({ max: 64 }),
        insert: fc.uint8Array({ maxLength: 64 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        let bytes = Buffer.from(pack);
        if (d.kind === 'flip')
          for (const [at, xor] of d.at) bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ xor;
        else if (d.kind === 'cut') bytes = bytes.subarray(0, d.at % bytes.length);
        else if (d.kind === 'extend') bytes = Buffer.concat([bytes, Buffer.from(d.extra)]);
        else {
          const at = d.at % bytes.length;
          bytes = Buffer.concat([
            bytes.subarray(0, at),
            Buffer.from(d.insert),
            bytes.subarray(at + d.remove),
          ]);
        }
        expectExactOrError(await restore(bytes, chunks));
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes as the pack: a typed error, nothing outside', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), async (random) => {
        const outcome = await restore(Buffer.from(random), chunks);
        expect(outcome.error).toBeDefined();
        expectExactOrError(outcome);
      }),
      { numRuns: 40 },
    );
  });

  it('a rearranged manifest (chunks dropped, repeated, reordered): typed errors, nothing outside', async () => {
    const edits = fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('drop' as const), i: fc.nat() }),
        fc.record({ op: fc.constant('repeat' as const), i: fc.nat() }),
        fc.record({ op: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
      ),
      { minLength: 1, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(edits, async (ops) => {
        const list = [...chunks];
        for (const op of ops) {
          const i = op.i % list.length;
          if (op.op === 'drop' && list.length > 1) list.splice(i, 1);
          else if (op.op === 'repeat') list.splice(i, 0, list[i] as Chunk);
          else if (op.op === 'swap') {
            const j = op.j % list.length;
            [list[i], list[j]] = [list[j] as Chunk, list[i] as Chunk];
          }
        }
        // Each chunk still verifies: the archive is what the manifest says, and may differ from
        // the original. The property here is containment: typed errors, nothing outside.
        await restore(pack, list);
      }),
      { numRuns: 80 },
    );
  });

  const codecs = (['native', 'node:zlib'] as const).flatMap((name) => {
    try {
      return [{ name, codec: name === 'native' ? nativeCodec() : zlibCodec() }];
    } catch {
      return [];
    }
  });
  for (const { name, codec } of codecs) {
    it(`damaged frames through the ${name} decoder: IntegrityError or the promised size, nothing else`, async () => {
      const first = chunks[0] as Chunk;
      const frame = pack.subarray(first.offset, first.offset + first.length);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat({ max: frame.length - 1 }), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.integer({ min: 0, max: 2 * first.rawLength }),
          async (flips, expected) => {
            const copy = Buffer.from(frame);
            for (const [at, xor] of flips) copy[at] = (copy[at] as number) ^ xor;
            try {
              const out = await codec.decompress(copy, expected);
              expect(out.length).toBe(expected);
            } catch (err) {
              expect(err, String(err)).toBeInstanceOf(S3CacheError);
              expect((err as Error).name).toBe('IntegrityError');
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
