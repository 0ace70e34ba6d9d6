import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, s3TestsSkipped, type TestBucket, testS3ClientConfig } from '@s3cache/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreCache } from '../src/engine/restore.js';
import { saveCache } from '../src/engine/save.js';
import { Layout } from '../src/layout/layout.js';
import { S3Store } from '../src/store/s3-store.js';
import { collect } from '../src/store/store.js';

const GiB = 1024 ** 3;
const version = 'c'.repeat(64);
const main = 'refs/heads/main';

/** Deterministic, incompressible bytes without holding them in memory: AES-CTR keystream. */
async function writeBigFile(file: string, size: number): Promise<string> {
  const out = createWriteStream(file);
  const whole = createHash('sha256');
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16, 2));
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (let written = 0; written < size; written += zeros.length) {
    const block = cipher.update(zeros);
    whole.update(block);
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return whole.digest('hex');
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const data of createReadStream(file)) hash.update(data as Buffer);
  return hash.digest('hex');
}

/** Samples RSS while `fn` runs: the peak tells whether memory grows with the cache size. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    return { value: await fn(), peak };
  } finally {
    clearInterval(timer);
  }
}

describe.skipIf(s3TestsSkipped())('a realistic tree with a 1 GB file on real S3', () => {
  let client: S3Client;
  let bucket: TestBucket;
  let work: string;
  beforeAll(async () => {
    client = new S3Client(testS3ClientConfig());
    bucket = await createTestBucket({ client });
    work = await fs.mkdtemp(join(tmpdir(), 's3cache-large-'));
  });
  afterAll(async () => {
    await bucket?.cleanup();
    client?.destroy();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('restores byte-identical content with memory that does not grow with size, and tags what it wrote', {
    timeout: 900_000,
  }, async () => {
    const ws = join(work, 'ws');
    const tree = join(ws, 'tree');
    for (let i = 0; i < 3000; i++) {
      const dir = join(tree, (i % 64).toString(16).padStart(2, '0'), (i % 7).toString());
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(join(dir, `f${i}`), i % 10 === 0 ? '' : `content ${i} `.repeat(i % 200));
    }
    await fs.mkdir(join(tree, 'empty'), { recursive: true });
    await fs.symlink('00/0/f0', join(tree, 'empty-link'));
    const bigHash = await writeBigFile(join(tree, 'big.bin'), GiB);

    const t0 = Date.now();
    const ctx = { store: new S3Store(client, { bucket: bucket.name }), layout: new Layout() };
    const { value: saved, peak: savePeak } = await peakRss(() =>
      saveCache(ctx, {
        repository: 'acme/big',
        scope: main,
        version,
        key: 'big',
        paths: ['tree'],
        workspace: ws,
      }),
    );
    expect(saved.outcome).toBe('saved');
    expect(saved.rawBytes).toBeGreaterThan(GiB);
    const t1 = Date.now();

    const target = join(work, 'restored');
    await fs.mkdir(target);
    const { value: restored, peak: restorePeak } = await peakRss(() =>
      restoreCache(ctx, {
        repository: 'acme/big',
        scopes: [main],
        version,
        primaryKey: 'big',
        restoreKeys: [],
        paths: ['tree'],
        workspace: target,
      }),
    );
    expect(restored.cacheHit).toBe(true);
    console.log(
      `save ${((t1 - t0) / 1000).toFixed(1)} s, restore ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
    expect(await hashFile(join(target, 'tree/big.bin'))).toBe(bigHash);
    expect(await fs.readlink(join(target, 'tree/empty-link'))).toBe('00/0/f0');
    expect((await fs.readFile(join(target, 'tree/3f/0/f63'), 'utf8')).length).toBe('content 63 '.length * 63);
    // Streaming end to end: a 1 GB cache must not need anything near 1 GB of memory.
    console.log(
      `peak RSS: save ${(savePeak / 2 ** 20).toFixed(0)} MiB, restore ${(restorePeak / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(savePeak).toBeLessThan(900 * 2 ** 20);
    expect(restorePeak).toBeLessThan(900 * 2 ** 20);

    // RGW ignores tags on multipart initiation: the pack must still end up tagged.
    const objects = await collect(ctx.store.list('acme/big/'));
    const tagOf = async (key: string) =>
      (await client.send(new GetObjectTaggingCommand({ Bucket: bucket.name, Key: key }))).TagSet?.find(
        (t) => t.Key === 'type',
      )?.Value;
    const pack = objects.find((o) => o.key.endsWith('.pack'));
    const manifest = objects.find((o) => o.key.endsWith('manifest.json'));
    const marker = objects.find((o) => o.key.includes('/access/'));
    expect(await tagOf(pack?.key ?? '')).toBe('base');
    expect(await tagOf(manifest?.key ?? '')).toBe('manifest');
    expect(await tagOf(marker?.key ?? '')).toBe('access-marker');
  });
});
