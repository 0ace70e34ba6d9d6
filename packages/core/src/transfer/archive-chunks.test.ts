import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChunkerOptions, chunkerSlabBytes, DEFAULT_CHUNKING } from '../format/chunker.js';
import { resolveCachePaths } from '../paths/resolve.js';
import { ArchivePackError } from '../tar/errors.js';
import { createTarStream } from '../tar/pack.js';
import { defaultWorkerScript, type WorkerScript } from '../worker/script.js';
import { archiveChunks, startArchiving } from './archive-chunks.js';
import { cutChunks, type SourceChunk } from './source-chunks.js';

let sandbox: string;
let workspace: string;
const worker = defaultWorkerScript() as WorkerScript;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-worker-chunks-'));
  workspace = path.join(sandbox, 'ws');
  // Small text files, object-file-like noise, one file over the large-file threshold (8 MiB).
  for (let i = 0; i < 300; i++) {
    const dir = path.join(workspace, 'cache', `d${i % 7}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `t${i}.txt`), `line ${i}\n`.repeat(i * 3));
    if (i % 10 === 0) await writeFile(path.join(dir, `o${i}.o`), randomBytes(5000 + i * 100));
  }
  await writeFile(path.join(workspace, 'cache', 'big.bin'), randomBytes(9 * 1024 * 1024));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

async function all(groups: AsyncIterable<SourceChunk[]>): Promise<SourceChunk[]> {
  const out: SourceChunk[] = [];
  for await (const group of groups) out.push(...group);
  return out;
}

const summary = (chunks: SourceChunk[]) =>
  chunks.map((c) => ({ hash: c.hash, length: c.data.length, incompressible: c.incompressible }));

describe('archiveChunks on a worker', () => {
  it('finds its worker script beside the module, in source and in builds', () => {
    expect(worker).toBeDefined();
    expect(worker.url.pathname).toMatch(/worker\/entry\.(ts|js)$/);
  });

  it('cuts chunks in slabs shared with the main thread, reused only once their chunks are released', async () => {
    // 4 MiB slabs (no large-file chunking) and 20 MiB of input.
    const chunking: ChunkerOptions = {
      minSize: 8 * 1024,
      avgSize: 32 * 1024,
      maxSize: 128 * 1024,
      fileAlignBytes: 8 * 1024,
    };
    const slabBytes = chunkerSlabBytes(chunking);
    for (let i = 0; i < 20; i++) {
      await mkdir(path.join(workspace, 'bulk'), { recursive: true });
      await writeFile(path.join(workspace, 'bulk', `f${i}`), randomBytes(1024 * 1024));
    }
    const { items } = await resolveCachePaths(['bulk'], { workspace });
    const expected = summary(await all(cutChunks(createTarStream(items), chunking)));
    const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    const seen: SourceChunk[] = [];
    let held: SourceChunk[] = [];
    let received = 0;
    let sharedBytes = 0;
    const settle = (chunk: SourceChunk) => {
      // Still intact when released: the worker has not written its slab over.
      expect(sha256(chunk.data)).toBe(chunk.hash);
      chunk.release?.();
    };
    for await (const group of archiveChunks(items, {
      worker,
      chunking,
      onWarning: () => undefined,
      groupBytes: 64 * 1024,
      credits: 2,
      slabs: 2,
    })) {
      for (const chunk of group) {
        if (chunk.release) {
          sharedBytes += chunk.data.length;
          expect(chunk.data.buffer).toBeInstanceOf(SharedArrayBuffer);
        }
        seen.push({ ...chunk, data: Buffer.from(chunk.data) });
        held.push(chunk);
        received += chunk.data.length;
      }
      // Everything of the first 9 MiB is held, past the point where the chunker needs a third
      // slab (the first one, if it were freed early); then released with a lag, as the pack
      // writer does, across turns of the event loop.
      if (received > 9 * 1024 * 1024) {
        while (held.length > 40) settle(held.shift() as SourceChunk);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const chunk of held) settle(chunk);
    held = [];
    expect(summary(seen)).toEqual(expected);
    // Two slabs, over 3 slabs' worth of chunks in them: they were reused once released.
    expect(sharedBytes).toBeGreaterThan(3 * slabBytes);
  });

  it('gives the chunks, hashes and bytes the main thread would, in order', async () => {
    const { items } = await resolveCachePaths(['cache'], { workspace });
    const chunking: ChunkerOptions = DEFAULT_CHUNKING;
    const here = await all(cutChunks(createTarStream(items), chunking));
    const fallbacks: string[] = [];
    const there = await all(
      archiveChunks(items, {
        worker,
        chunking,
        onWarning: () => undefined,
        onFallback: (why) => fallbacks.push(why),
        // Small groups and few credits: the hand-over and its flow control are exercised.
        groupBytes: 64 * 1024,
        credits: 2,
      }),
    );
    expect(fallbacks).toEqual([]);
    expect(summary(there)).toEqual(summary(here));
    expect(Buffer.concat(there.map((c) => c.data)).equals(Buffer.concat(here.map((c) => c.data)))).toBe(true);
    expect(here.some((c) => c.incompressible) && here.some((c) => !c.incompressible)).toBe(true);
  }, 60_000);

  it('passes on the warnings and archive errors of the main-thread archiver', async () => {
    const { items } = await resolveCachePaths(['cache'], { workspace });
    const gone = {
      path: path.join(workspace, 'cache', 'gone.txt'),
      name: 'cache/gone.txt',
      type: 'file' as const,
    };
    const warnings: string[] = [];
    const fallbacks: string[] = [];
    await all(
      archiveChunks([...items, gone], {
        worker,
        chunking: DEFAULT_CHUNKING,
        onWarning: (m) => warnings.push(m),
        onFallback: (why) => fallbacks.push(why),
      }),
    );
    expect(warnings).toEqual(['skipping cache/gone.txt: removed before it was archived']);

    // A name too long for the file system: the open fails with ENAMETOOLONG.
    const bad = { path: path.join(workspace, 'x'.repeat(5000)), name: 'x', type: 'file' as const };
    const failure = await all(
      archiveChunks([bad], {
        worker,
        chunking: DEFAULT_CHUNKING,
        onWarning: () => {},
        onFallback: (why) => fallbacks.push(why),
      }),
    ).catch((err: unknown) => err);
    // Both came from the worker, not from a fallback to the main thread.
    expect(fallbacks).toEqual([]);
    expect(failure).toBeInstanceOf(ArchivePackError);
    expect((failure as ArchivePackError).path).toBe(bad.path);
    expect((failure as Error).message).toMatch(/^cannot .* item to archive: /);
    expect(((failure as Error).cause as { code?: string }).code).toBe('ENAMETOOLONG');
  }, 60_000);

  it('archives on the main thread when the worker cannot start', async () => {
    const broken = path.join(sandbox, 'broken-worker.mjs');
    await writeFile(broken, "throw new Error('cannot load');\n");
    const { items } = await resolveCachePaths(['cache/d1'], { workspace });
    const fallbacks: string[] = [];
    const chunks = await all(
      archiveChunks(items, {
        worker: { url: pathToFileURL(broken) },
        chunking: DEFAULT_CHUNKING,
        onWarning: () => {},
        onFallback: (why) => fallbacks.push(why),
      }),
    );
    expect(fallbacks).toEqual(['cannot load']);
    expect(summary(chunks)).toEqual(summary(await all(cutChunks(createTarStream(items), DEFAULT_CHUNKING))));
  }, 60_000);

  it('starts before it is given the items, and archives them once they come', async () => {
    const { items } = await resolveCachePaths(['cache'], { workspace });
    const fallbacks: string[] = [];
    const opts = {
      chunking: DEFAULT_CHUNKING,
      onWarning: () => {},
      onFallback: (why: string) => fallbacks.push(why),
    };
    const early = startArchiving({ ...opts, worker });
    // The worker loads and waits meanwhile, as it does while a save resolves its paths.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const chunks = await all(early.chunks(items));
    expect(fallbacks).toEqual([]);
    expect(summary(chunks)).toEqual(summary(await all(cutChunks(createTarStream(items), DEFAULT_CHUNKING))));

    // One that fails while loading, before any items: seen, and archived on this thread instead.
    const broken = path.join(sandbox, 'broken-early.mjs');
    await writeFile(broken, "throw new Error('cannot load early');\n");
    const failing = startArchiving({ ...opts, worker: { url: pathToFileURL(broken) } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fallen = await all(failing.chunks(items));
    expect(fallbacks).toEqual(['cannot load early']);
    expect(summary(fallen)).toEqual(summary(chunks));

    // Never given items (a save of nothing): close stops it; the test would hang otherwise.
    await startArchiving({ ...opts, worker }).close();
  }, 60_000);

  it('stops the worker when the consumer stops early', async () => {
    const { items } = await resolveCachePaths(['cache'], { workspace });
    const groups = archiveChunks(items, {
      worker,
      chunking: DEFAULT_CHUNKING,
      onWarning: () => {},
      groupBytes: 64 * 1024,
      credits: 1,
    });
    for await (const group of groups) {
      expect(group.length).toBeGreaterThan(0);
      break; // the generator's finally terminates the worker; the test would hang otherwise
    }
  }, 60_000);
});
