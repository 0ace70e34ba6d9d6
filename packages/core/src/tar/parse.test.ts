import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END, NEED_MORE, TarReader } from './parse.js';

/*
 * The parser must read archives exactly as tar-stream (which it replaced) does: every test here
 * parses the same bytes with both and compares headers and bodies.
 */

interface Parsed {
  entries: { header: Record<string, unknown>; body: string }[];
  error?: string;
}

function describeHeader(header: object): Record<string, unknown> {
  const h = header as Record<string, unknown>;
  return {
    name: h.name,
    type: h.type,
    linkname: h.linkname,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: (h.mtime as Date).getTime(),
    uname: h.uname,
    gname: h.gname,
    pax: h.pax,
  };
}

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function parseWithTarStream(archive: Buffer): Promise<Parsed> {
  const extract = tar.extract();
  const entries: Parsed['entries'] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      entries.push({ header: describeHeader(entry.header), body: digest(Buffer.concat(chunks)) });
    }
  })();
  extract.end(archive);
  try {
    await done;
    return { entries };
  } catch (err) {
    return { entries, error: (err as Error).message };
  }
}

async function parseWithReader(archive: Buffer, chunkSize = archive.length): Promise<Parsed> {
  async function* chunks() {
    for (let at = 0; at < archive.length; at += chunkSize) yield archive.subarray(at, at + chunkSize);
  }
  const reader = new TarReader(chunks());
  const entries: Parsed['entries'] = [];
  try {
    for (;;) {
      let header = reader.next();
      while (header === NEED_MORE) {
        await reader.fill();
        header = reader.next();
      }
      if (header === END) return { entries };
      const body: Buffer[] = [];
      while (reader.remaining > 0) body.push(...(await reader.takeUpTo(100_000)));
      entries.push({ header: describeHeader(header), body: digest(Buffer.concat(body)) });
    }
  } catch (err) {
    return { entries, error: (err as Error).message };
  }
}

let sandbox: string;
const gnuTar: Record<string, Buffer> = {};

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-parse-'));
  const tree = path.join(sandbox, 'tree');
  const put = async (relative: string, content: Buffer | string) => {
    const file = path.join(tree, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await utimes(file, 1_600_000_000.25, 1_600_000_000.25);
  };
  await put('empty', '');
  await put('one', 'x');
  for (const size of [511, 512, 513]) await put(`sizes/${size}`, randomBytes(size));
  await put('big.bin', randomBytes(1024 * 1024 + 7));
  await put(`${'n'.repeat(60)}/${'m'.repeat(60)}/${'f'.repeat(120)}`, 'long');
  await put('ünïcødé ☃/ø.txt', 'unicode');
  await symlink('one', path.join(tree, 'short-link'));
  await symlink('t'.repeat(150), path.join(tree, 'long-link'));
  await link(path.join(tree, 'one'), path.join(tree, 'hard'));
  await mkdir(path.join(tree, 'empty-dir'));
  execFileSync('mkfifo', [path.join(tree, 'fifo')]);
  execFileSync('truncate', ['-s', '700K', path.join(tree, 'sparse')]);
  const formats: Record<string, string[]> = {
    gnu: ['--format=gnu', '--sparse'],
    oldgnu: ['--format=oldgnu'],
    ustar: ['--format=ustar'],
    posix: ['--format=posix', '--sparse', '--pax-option', 'comment=global'],
    v7: ['--format=v7'],
  };
  for (const [format, options] of Object.entries(formats)) {
    // Formats that cannot store some members say so and store the rest: keep what they wrote.
    const result = spawnSync('tar', [...options, '-cf', '-', '-C', tree, '.'], { maxBuffer: 64 << 20 });
    gnuTar[format] = result.stdout;
  }
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

describe('TarReader', () => {
  it.each(['gnu', 'oldgnu', 'ustar', 'posix', 'v7'])(
    'reads what GNU tar --format=%s writes exactly as tar-stream does, however it is chunked',
    async (format) => {
      const archive = gnuTar[format] as Buffer;
      const expected = await parseWithTarStream(archive);
      if (format !== 'v7') expect(expected.entries.length).toBeGreaterThan(10);
      for (const chunkSize of [archive.length, 7, 512, 513, 65_536]) {
        expect(await parseWithReader(archive, chunkSize)).toEqual(expected);
      }
    },
  );

  it('reads archives tar-stream writes exactly as tar-stream does', async () => {
    const segment = fc.constantFrom('a', 'dir', 'ünï', '☃', 'x'.repeat(70), '.', '..', 'PaxHeader');
    const member = fc.record({
      name: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
      type: fc.constantFrom('file', 'directory', 'symlink', 'link'),
      linkname: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
      body: fc.uint8Array({ maxLength: 1500 }),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      mtime: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      pax: fc.option(fc.dictionary(fc.constantFrom('mtime', 'comment', 'uid'), fc.string()), {
        nil: undefined,
      }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(member, { maxLength: 6 }),
        fc.integer({ min: 1, max: 700 }),
        async (members, chunk) => {
          const pack = tar.pack();
          const collected: Buffer[] = [];
          const collecting = (async () => {
            for await (const data of pack) collected.push(data as Buffer);
          })();
          for (const m of members) {
            const header = {
              name: m.name,
              type: m.type,
              mode: m.mode,
              mtime: new Date(m.mtime * 1000),
              ...(m.type === 'symlink' || m.type === 'link' ? { linkname: m.linkname } : {}),
              ...(m.pax ? { pax: m.pax } : {}),
            };
            await new Promise<void>((resolve, reject) => {
              const done = (err?: Error | null) => (err ? reject(err) : resolve());
              if (m.type === 'file') pack.entry(header, Buffer.from(m.body), done);
              else pack.entry(header, done);
            });
          }
          pack.finalize();
          await collecting;
          const archive = Buffer.concat(collected);
          expect(await parseWithReader(archive, chunk)).toEqual(await parseWithTarStream(archive));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives the same result however a damaged archive is chunked', async () => {
    const archive = gnuTar.posix as Buffer;
    // Damage within the first members' headers and data, where parsing decisions are made.
    const damage = fc.array(fc.tuple(fc.integer({ min: 0, max: 8191 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(damage, fc.integer({ min: 1, max: 1500 }), async (changes, chunk) => {
        const damaged = Buffer.from(archive);
        for (const [at, value] of changes) damaged[at] = value;
        expect(await parseWithReader(damaged, chunk)).toEqual(await parseWithReader(damaged));
      }),
      { numRuns: 200 },
    );
  });

  it('skips the body of any member it is not taken from, and none for a directory', async () => {
    const block = (name: string, typeflag: string, size: number) => {
      const header = Buffer.alloc(512);
      header.write(name, 0);
      header.write('0000644 \0', 100);
      header.write(`${size.toString(8).padStart(11, '0')} `, 124);
      header.write('00000000000 ', 136);
      header.write(typeflag, 156);
      header.write('ustar\u000000', 257, 'latin1');
      header.write('        ', 148);
      let sum = 0;
      for (const byte of header) sum += byte;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      return header;
    };
    const data = (text: string) => Buffer.concat([Buffer.from(text), Buffer.alloc(512 - text.length)]);
    const archive = Buffer.concat([
      block('dir/', '5', 512), // GNU tar and Python also read no body here
      block('symlink-with-data', '2', 3),
      data('abc'),
      block('file', '0', 2),
      data('hi'),
      Buffer.alloc(1024),
    ]);
    const parsed = await parseWithReader(archive);
    expect(parsed.error).toBeUndefined();
    expect(parsed.entries.map((e) => e.header.name)).toEqual(['dir/', 'symlink-with-data', 'file']);
    expect(parsed.entries[2]?.body).toBe(digest(Buffer.from('hi')));
  });

  it('fails on a stream cut short, and on an extension header with a bad size', async () => {
    const archive = gnuTar.posix as Buffer;
    expect((await parseWithReader(archive.subarray(0, 700))).error).toMatch(/truncated archive/);
    // The end-of-archive marker is there, but the member it ends is not complete.
    const cut = Buffer.concat([archive.subarray(0, 3000), Buffer.alloc(1024)]);
    expect((await parseWithReader(cut)).error).toBeDefined();

    const bad = Buffer.from(gnuTar.posix as Buffer);
    expect(bad.toString('latin1', 156, 157)).toBe('g');
    bad.write('-0000000001 ', 124, 'latin1');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (bad[i] as number);
    bad.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect((await parseWithReader(bad)).error).toBe('Invalid header');
  });

  it('passes the source error on and remembers it', async () => {
    const failure = new Error('network down');
    const reader = new TarReader({
      next: () => Promise.reject(failure),
    });
    expect(reader.next()).toBe(NEED_MORE);
    await expect(reader.fill()).rejects.toBe(failure);
    expect(reader.failure).toBe(failure);
  });
});
