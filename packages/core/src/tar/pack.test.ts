import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import {
  appendFile,
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  symlink,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCachePaths } from '../paths/resolve.js';
import { ArchivePackError } from './errors.js';
import { createTarStream, type PackOptions, tarPieces } from './pack.js';

let sandbox: string;
let workspace: string;

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-pack-'));
  workspace = path.join(sandbox, 'ws');
  await mkdir(workspace);
});

afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

async function put(relative: string, content: string | Buffer = 'x', mtime = 1_600_000_000): Promise<string> {
  const file = path.join(workspace, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  await utimes(file, mtime, mtime);
  return file;
}

async function packToFile(patterns: string[], opts: PackOptions = {}): Promise<string> {
  const { items } = await resolveCachePaths(patterns, { workspace, home: path.join(sandbox, 'home') });
  const archive = path.join(sandbox, `archive-${Math.random().toString(36).slice(2)}.tar`);
  await pipeline(createTarStream(items, opts), createWriteStream(archive));
  return archive;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads from a pack stream until its file data has started flowing. */
async function readAtLeast(iterator: AsyncIterator<unknown>, bytes: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value as Buffer);
    total += (next.value as Buffer).length;
  }
  return chunks;
}

async function headers(archive: Buffer): Promise<tar.Header[]> {
  const extract = tar.extract();
  const result: tar.Header[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      result.push(entry.header);
      entry.resume();
    }
  })();
  extract.end(archive);
  await done;
  return result;
}

describe('createTarStream', () => {
  it('produces an archive GNU tar extracts: modes, mtimes, links, empty dirs, long and unicode names', async () => {
    const longDir = `${'deep-directory-name-'.repeat(4)}/${'another-long-segment-'.repeat(4)}`;
    await put(`cache/${longDir}/${'f'.repeat(120)}.txt`, 'long');
    await put('cache/unicodé ☃/naïve file.txt', 'unicode');
    await chmod(await put('cache/bin/run.sh', '#!/bin/sh\n'), 0o755);
    await put('cache/empty-file', '');
    await mkdir(path.join(workspace, 'cache/empty-dir'));
    await symlink('../empty-file', path.join(workspace, 'cache/bin/rel-link'));
    await symlink(`${'t'.repeat(150)}`, path.join(workspace, 'cache/long-link'));
    await utimes(path.join(workspace, 'cache/empty-dir'), 1_500_000_000, 1_500_000_000);

    const archive = await packToFile(['cache']);
    const out = path.join(sandbox, 'out');
    await mkdir(out);
    execFileSync('tar', ['-xf', archive, '-C', out]);

    expect(await readFile(path.join(out, `cache/${longDir}/${'f'.repeat(120)}.txt`), 'utf8')).toBe('long');
    expect(await readFile(path.join(out, 'cache/unicodé ☃/naïve file.txt'), 'utf8')).toBe('unicode');
    expect((await lstat(path.join(out, 'cache/bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await lstat(path.join(out, 'cache/bin/run.sh'))).mtimeMs).toBe(1_600_000_000_000);
    expect((await lstat(path.join(out, 'cache/empty-file'))).size).toBe(0);
    expect((await lstat(path.join(out, 'cache/empty-dir'))).isDirectory()).toBe(true);
    expect((await lstat(path.join(out, 'cache/empty-dir'))).mtimeMs).toBe(1_500_000_000_000);
    expect(await readlink(path.join(out, 'cache/bin/rel-link'))).toBe('../empty-file');
    expect(await readlink(path.join(out, 'cache/long-link'))).toBe('t'.repeat(150));
  });

  it('stores ../ names that GNU tar restores with -P relative to the workspace', async () => {
    const home = path.join(sandbox, 'home');
    await mkdir(path.join(home, '.npm/_cacache'), { recursive: true });
    await writeFile(path.join(home, '.npm/_cacache/index'), 'npm');
    const archive = await packToFile(['~/.npm']);

    const listing = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' });
    expect(listing.split('\n').filter(Boolean)).toEqual([
      '../home/.npm/',
      '../home/.npm/_cacache/',
      '../home/.npm/_cacache/index',
    ]);

    // Restore "on another runner": same layout, different sandbox.
    const other = await mkdtemp(path.join(os.tmpdir(), 's3cache-pack-other-'));
    try {
      await mkdir(path.join(other, 'ws'));
      execFileSync('tar', ['-xPf', archive], { cwd: path.join(other, 'ws') });
      expect(await readFile(path.join(other, 'home/.npm/_cacache/index'), 'utf8')).toBe('npm');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('writes owner-neutral, deterministic headers', async () => {
    await put('d/a.txt', 'a');
    await put('d/b.txt', 'b');
    const { items } = await resolveCachePaths(['d'], { workspace });
    const first = await collect(createTarStream(items));
    const second = await collect(createTarStream(items));
    expect(first.equals(second)).toBe(true);
    expect(first.length % 512).toBe(0);
    for (const header of await headers(first)) {
      expect(header).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '' });
    }
    expect(execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: first, encoding: 'utf8' })).toMatch(
      /^drwxr-xr-x 0\/0 /,
    );
  });

  it('keeps nanosecond mtimes in pax records when asked', async () => {
    const file = await put('n/file', 'x');
    await utimes(file, 1_600_000_000.123456, 1_600_000_000.123456);
    const before = await lstat(file, { bigint: true });
    const archive = await packToFile(['n'], { mtimePrecision: 'nanosecond' });
    const out = path.join(sandbox, 'out');
    await mkdir(out);
    execFileSync('tar', ['-xf', archive, '-C', out]);
    expect((await lstat(path.join(out, 'n/file'), { bigint: true })).mtimeNs).toBe(before.mtimeNs);
    expect(before.mtimeNs % 1_000_000_000n).not.toBe(0n);
  });

  it('stays well-formed when a file shrinks while it is read, and warns', async () => {
    const big = await put('s/big.bin', Buffer.alloc(8 * 1024 * 1024, 7));
    await put('s/z-after.txt', 'after');
    const { items } = await resolveCachePaths(['s'], { workspace });
    const warnings: string[] = [];
    const stream = createTarStream(items, { onWarning: (m) => warnings.push(m) });
    const iterator = stream[Symbol.asyncIterator]();
    const chunks = await readAtLeast(iterator, 64 * 1024);
    // Backpressure: only a small prefix of the 8 MiB can have been read by now.
    await truncate(big, 1000);
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      chunks.push(next.value as Buffer);
    const archive = Buffer.concat(chunks);

    expect(warnings).toEqual([expect.stringMatching(/^s\/big\.bin shrank from 8388608 to \d+ bytes/)]);
    const out = path.join(sandbox, 'out');
    await mkdir(out);
    execFileSync('tar', ['-xf', '-', '-C', out], { input: archive });
    expect((await lstat(path.join(out, 's/big.bin'))).size).toBe(8 * 1024 * 1024);
    expect(await readFile(path.join(out, 's/z-after.txt'), 'utf8')).toBe('after');
  });

  it('stores only the announced size when a file grows while it is read, and warns', async () => {
    const file = await put('g/log', Buffer.alloc(4 * 1024 * 1024, 1));
    const { items } = await resolveCachePaths(['g'], { workspace });
    const warnings: string[] = [];
    const iterator = createTarStream(items, { onWarning: (m) => warnings.push(m) })[Symbol.asyncIterator]();
    const chunks = await readAtLeast(iterator, 64 * 1024);
    await appendFile(file, Buffer.alloc(1024 * 1024, 2));
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      chunks.push(next.value as Buffer);
    expect(warnings).toEqual(['g/log grew while being archived; only its first 4194304 bytes were stored']);
    const [, entry] = await headers(Buffer.concat(chunks));
    expect(entry).toMatchObject({ name: 'g/log', size: 4 * 1024 * 1024 });
  });

  it('skips an item that vanished since resolving, with a warning', async () => {
    await put('v/keep', 'k');
    const gone = await put('v/gone', 'g');
    const { items } = await resolveCachePaths(['v'], { workspace });
    await rm(gone);
    const warnings: string[] = [];
    const archive = await collect(createTarStream(items, { onWarning: (m) => warnings.push(m) }));
    expect((await headers(archive)).map((h) => h.name)).toEqual(['v/', 'v/keep']);
    expect(warnings).toEqual(['skipping v/gone: removed before it was archived']);
  });

  it('stores a file replaced by a symlink after resolving as that symlink, never its target', async () => {
    await put('r/secret-target', 'secret');
    const file = await put('r/file', 'plain');
    const { items } = await resolveCachePaths(['r'], { workspace });
    await rm(file);
    await symlink('/etc/passwd', file);
    const all = await headers(await collect(createTarStream(items)));
    expect(all.find((h) => h.name === 'r/file')).toMatchObject({
      type: 'symlink',
      linkname: '/etc/passwd',
      size: 0,
    });
  });

  it('skips a file replaced by a FIFO after resolving, without blocking on it', async () => {
    const file = await put('p/pipe', 'was a file');
    await put('p/z-after', 'after');
    const { items } = await resolveCachePaths(['p'], { workspace });
    await rm(file);
    execFileSync('mkfifo', [file]);
    const warnings: string[] = [];
    const all = await headers(await collect(createTarStream(items, { onWarning: (m) => warnings.push(m) })));
    expect(all.map((h) => h.name)).toEqual(['p/', 'p/z-after']);
    expect(warnings).toEqual(['skipping p/pipe: not a regular file, directory or symbolic link']);
  });

  it('hands many small files to the consumer in a few large chunks', async () => {
    for (let i = 0; i < 300; i++) await put(`many/${String(i).padStart(3, '0')}`, 'y'.repeat(1000));
    const { items } = await resolveCachePaths(['many'], { workspace });
    const chunks: Buffer[] = [];
    for await (const chunk of createTarStream(items)) chunks.push(chunk as Buffer);
    expect(chunks.length).toBeLessThanOrEqual(2);
    const all = await headers(Buffer.concat(chunks));
    expect(all).toHaveLength(301);
    expect(all[300]).toMatchObject({ name: 'many/299', size: 1000 });
  });

  it('takes the entry type from the disk at pack time', async () => {
    await mkdir(path.join(workspace, 'was-a-file/child'), { recursive: true });
    const stale = {
      path: path.join(workspace, 'was-a-file'),
      name: 'was-a-file',
      type: 'file' as const,
    };
    expect(await headers(await collect(createTarStream([stale])))).toMatchObject([
      { name: 'was-a-file/', type: 'directory', size: 0 },
    ]);
  });

  it('fails with ArchivePackError when an item cannot be read', async () => {
    const bad = { path: path.join(workspace, 'x'.repeat(5000)), name: 'x', type: 'file' as const };
    await expect(collect(createTarStream([bad]))).rejects.toBeInstanceOf(ArchivePackError);
  });

  it('stops reading when the consumer goes away', async () => {
    await put('c/big.bin', Buffer.alloc(4 * 1024 * 1024, 3));
    const { items } = await resolveCachePaths(['c'], { workspace });
    const stream = createTarStream(items);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.destroyed).toBe(true);
  });
});

describe('tarPieces with reuseBuffers', () => {
  it('gives a consumer that copies each piece the same archive, from a few buffers written over', async () => {
    for (let i = 0; i < 3000; i++) await put(`cache/small/${i}.o`, Buffer.alloc(1500 + (i % 700), i % 251));
    await put('cache/large.bin', Buffer.alloc(3 * 1024 * 1024 + 123, 7)); // several reads of its body
    await put('cache/mid.bin', Buffer.alloc(300 * 1024, 9)); // just over the small-file limit
    await symlink('large.bin', path.join(workspace, 'cache/link'));
    const { items } = await resolveCachePaths(['cache'], { workspace, home: path.join(sandbox, 'home') });

    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const piece of tarPieces(items, { reuseBuffers: true })) {
      copies.push(Buffer.from(piece));
      buffers.add(piece.buffer);
    }
    const reused = Buffer.concat(copies);
    expect(reused.equals(await collect(createTarStream(items)))).toBe(true);
    expect(reused.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(buffers.size).toBeLessThanOrEqual(4); // instead of one per megabyte
  });
});
