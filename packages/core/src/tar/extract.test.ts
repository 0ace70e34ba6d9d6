import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import * as tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archive, type Member } from '../../test/tar-archive.js';
import { IntegrityError } from '../errors.js';
import { isWithin } from '../paths/names.js';
import { ArchiveExtractError, UnsafeArchiveError } from './errors.js';
import { extractTar } from './extract.js';

/** Everything under `dir` (not following links): name → type and content or link target. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  async function walk(current: string): Promise<void> {
    for (const entry of await readdir(current)) {
      const full = path.join(current, entry);
      const stats = await lstat(full);
      const name = path.relative(dir, full);
      if (stats.isSymbolicLink()) result[name] = `link:${await readlink(full)}`;
      else if (stats.isDirectory()) {
        result[name] = `dir:${(stats.mode & 0o777).toString(8)}`;
        await walk(full);
      } else
        result[name] = `file:${createHash('sha256')
          .update(await readFile(full))
          .digest('hex')}`;
    }
  }
  await walk(dir);
  return result;
}

let sandbox: string;
let workspace: string;
let outside: string;

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-extract-'));
  // Deep enough that `../../x` lands inside the sandbox, where the test can see it.
  workspace = path.join(sandbox, 'runner/work/ws');
  outside = path.join(sandbox, 'outside');
  await mkdir(workspace, { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'sentinel'), 'untouched');
});

afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

const roots = ['cache'];
const extract = async (bytes: Buffer, opts: { roots?: string[]; onWarning?: (m: string) => void } = {}) =>
  extractTar(Readable.from([bytes]), {
    workspace,
    roots: opts.roots ?? roots,
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  });

/** Runs a hostile extraction and proves nothing outside `ws/cache` changed. */
async function expectRejected(members: Member[], reason: RegExp, member?: string): Promise<void> {
  const before = await snapshot(sandbox);
  const error = await extract(await archive(members)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(UnsafeArchiveError);
  expect((error as UnsafeArchiveError).message).toMatch(reason);
  if (member !== undefined) expect((error as UnsafeArchiveError).member).toBe(member);
  const after = await snapshot(sandbox);
  for (const [name, value] of Object.entries(after)) {
    if (isWithin('runner/work/ws/cache', name)) continue;
    expect([name, value]).toEqual([name, before[name]]);
  }
  for (const name of Object.keys(before)) expect(after).toHaveProperty([name]);
}

describe('extractTar: hostile archives', () => {
  it('rejects ../ escapes', async () => {
    await expectRejected(
      [{ header: { name: '../../etc/x', type: 'file' }, body: 'pwned' }],
      /'\.\.' to leave the cache paths/,
      '../../etc/x',
    );
    await expectRejected([{ header: { name: 'cache/../../../x', type: 'file' }, body: 'pwned' }], /'\.\.'/);
  });

  it('rejects absolute names', async () => {
    await expectRejected([{ header: { name: '/abs', type: 'file' }, body: 'x' }], /absolute path/, '/abs');
    await expectRejected(
      [{ header: { name: path.join(outside, 'abs'), type: 'file' }, body: 'x' }],
      /absolute path/,
    );
  });

  it('rejects a symlink pointing outside before anything can be written through it', async () => {
    await expectRejected(
      [
        { header: { name: 'cache/evil', type: 'symlink', linkname: outside } },
        { header: { name: 'cache/evil/file', type: 'file' }, body: 'pwned' },
      ],
      /symbolic link target .* points outside/,
      'cache/evil',
    );
    expect(await snapshot(outside)).toEqual({ sentinel: expect.stringMatching(/^file:/) });
  });

  it('rejects a symlink escaping with ../..', async () => {
    await expectRejected(
      [{ header: { name: 'cache/up', type: 'symlink', linkname: '../..' } }],
      /points outside/,
    );
    await expectRejected(
      [{ header: { name: 'cache/a/b/up', type: 'symlink', linkname: '../../../../outside' } }],
      /points outside/,
    );
  });

  it('never writes through a symlink the archive created, even one pointing inside the roots', async () => {
    await expectRejected(
      [
        { header: { name: 'cache/real', type: 'directory' } },
        { header: { name: 'cache/alias', type: 'symlink', linkname: 'real' } },
        { header: { name: 'cache/alias/file', type: 'file' }, body: 'x' },
      ],
      /'cache\/alias' is a symbolic link; refusing to write through it/,
      'cache/alias/file',
    );
  });

  it('rejects hardlinks to outside files or to files it did not extract', async () => {
    await expectRejected(
      [{ header: { name: 'cache/passwd', type: 'link', linkname: '/etc/passwd' } }],
      /absolute hard link target/,
    );
    await expectRejected(
      [{ header: { name: 'cache/passwd', type: 'link', linkname: '../../../outside/sentinel' } }],
      /hard link target uses '\.\.'/,
    );
    await mkdir(path.join(workspace, 'cache'));
    await writeFile(path.join(workspace, 'cache/pre-existing'), 'mine');
    await expectRejected(
      [{ header: { name: 'cache/h', type: 'link', linkname: 'cache/pre-existing' } }],
      /not a file extracted earlier/,
    );
  });

  it.each(['character-device', 'block-device', 'fifo'] as const)('rejects %s members', async (type) => {
    await expectRejected(
      [{ header: { name: 'cache/node', type, devmajor: 1, devminor: 3 } }],
      new RegExp(`unsupported member type '${type}'`),
      'cache/node',
    );
  });

  it('refuses to write through a pre-existing symlink in the target directory', async () => {
    await mkdir(path.join(workspace, 'cache'));
    await symlink(outside, path.join(workspace, 'cache/link'));
    await expectRejected(
      [{ header: { name: 'cache/link/pwned', type: 'file' }, body: 'x' }],
      /'cache\/link' is a symbolic link/,
      'cache/link/pwned',
    );
  });

  it('refuses a root that is a pre-existing symlink', async () => {
    await symlink(outside, path.join(workspace, 'cache'));
    await expectRejected(
      [{ header: { name: 'cache/pwned', type: 'file' }, body: 'x' }],
      /'cache' is a symbolic link/,
    );
  });

  it('replaces a pre-existing symlink at the target instead of following it', async () => {
    await mkdir(path.join(workspace, 'cache'));
    await symlink(path.join(outside, 'sentinel'), path.join(workspace, 'cache/victim'));
    await symlink(outside, path.join(workspace, 'cache/victim-dir'));
    await extract(
      await archive([
        { header: { name: 'cache/victim', type: 'file' }, body: 'new' },
        { header: { name: 'cache/victim-dir', type: 'directory' } },
        { header: { name: 'cache/victim-dir/f', type: 'file' }, body: 'inside' },
      ]),
    );
    expect(await readFile(path.join(outside, 'sentinel'), 'utf8')).toBe('untouched');
    expect(await snapshot(outside)).toEqual({ sentinel: expect.any(String) });
    expect((await lstat(path.join(workspace, 'cache/victim'))).isFile()).toBe(true);
    expect(await readFile(path.join(workspace, 'cache/victim'), 'utf8')).toBe('new');
    expect((await lstat(path.join(workspace, 'cache/victim-dir'))).isDirectory()).toBe(true);
  });

  it('rejects a NUL smuggled in through a pax path', async () => {
    await expectRejected(
      [
        {
          header: { name: 'cache/ok', type: 'file', pax: { path: 'cache/x\0/../../../../outside/y' } },
          body: 'x',
        },
      ],
      /NUL/,
    );
  });

  it('stops at the first bad member; earlier members stay (the caller treats it as a miss)', async () => {
    const bytes = await archive([
      { header: { name: 'cache/good', type: 'file' }, body: 'ok' },
      { header: { name: '../../escape', type: 'file' }, body: 'x' },
      { header: { name: 'cache/after', type: 'file' }, body: 'never' },
    ]);
    await expect(extract(bytes)).rejects.toThrow(UnsafeArchiveError);
    expect(await readFile(path.join(workspace, 'cache/good'), 'utf8')).toBe('ok');
    await expect(lstat(path.join(workspace, 'cache/after'))).rejects.toThrow(/ENOENT/);
  });
});

describe('extractTar: corrupt input', () => {
  it('fails on garbage, a stream cut inside a member, and a stream cut at a member boundary', async () => {
    const good = await archive([
      { header: { name: 'cache/a', type: 'file' }, body: 'a'.repeat(2000) },
      { header: { name: 'cache/b', type: 'file' }, body: 'b' },
    ]);
    await expect(extract(Buffer.alloc(4096, 0x41))).rejects.toThrow(ArchiveExtractError);
    await expect(extract(good.subarray(0, 1024))).rejects.toThrow(ArchiveExtractError);
    // Header + 2000 bytes padded to 2048: the next member starts at 2560.
    await expect(extract(good.subarray(0, 2560))).rejects.toThrow(/truncated archive/);
    await expect(extract(good)).resolves.toMatchObject({ files: 2 });
  });

  it('passes the source error through unchanged', async () => {
    const failure = new IntegrityError('chunk 3 hash mismatch');
    const source = new Readable({
      read() {
        this.destroy(failure);
      },
    });
    await expect(extractTar(source, { workspace, roots })).rejects.toBe(failure);
  });
});

describe('extractTar: behaviour', () => {
  it('overwrites files, keeps existing directories, creates missing parents and empty dirs', async () => {
    await mkdir(path.join(workspace, 'cache/keep'), { recursive: true });
    await writeFile(path.join(workspace, 'cache/keep/old'), 'stays');
    await writeFile(path.join(workspace, 'cache/file'), 'old content that is longer');
    const stats = await extract(
      await archive([
        { header: { name: 'cache/file', type: 'file', mode: 0o600 }, body: 'new' },
        { header: { name: 'cache/keep/', type: 'directory', mode: 0o700 } },
        { header: { name: 'cache/deep/er/file', type: 'file' }, body: 'd' },
        { header: { name: 'cache/empty/', type: 'directory' } },
      ]),
    );
    expect(stats).toEqual({ files: 2, directories: 2, symlinks: 0, hardlinks: 0, bytes: 4 });
    expect(await readFile(path.join(workspace, 'cache/file'), 'utf8')).toBe('new');
    expect((await stat(path.join(workspace, 'cache/file'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(workspace, 'cache/keep/old'), 'utf8')).toBe('stays');
    expect((await stat(path.join(workspace, 'cache/keep'))).mode & 0o777).toBe(0o700);
    expect(await readFile(path.join(workspace, 'cache/deep/er/file'), 'utf8')).toBe('d');
    expect(await readdir(path.join(workspace, 'cache/empty'))).toEqual([]);
  });

  it('replaces a file standing where a directory is needed, but not a non-empty directory', async () => {
    await mkdir(path.join(workspace, 'cache/dir'), { recursive: true });
    await writeFile(path.join(workspace, 'cache/dir/x'), 'x');
    await writeFile(path.join(workspace, 'cache/was-file'), 'f');
    await extract(await archive([{ header: { name: 'cache/was-file/inner', type: 'file' }, body: 'i' }]));
    expect(await readFile(path.join(workspace, 'cache/was-file/inner'), 'utf8')).toBe('i');
    const error = await extract(
      await archive([{ header: { name: 'cache/dir', type: 'file' }, body: 'f' }]),
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ArchiveExtractError);
    expect((error as ArchiveExtractError).member).toBe('cache/dir');
  });

  it('creates hardlinks to files extracted earlier', async () => {
    const stats = await extract(
      await archive([
        { header: { name: 'cache/a', type: 'file' }, body: 'same' },
        { header: { name: 'cache/sub/b', type: 'link', linkname: 'cache/a' } },
      ]),
    );
    expect(stats.hardlinks).toBe(1);
    const [a, b] = await Promise.all([
      stat(path.join(workspace, 'cache/a')),
      stat(path.join(workspace, 'cache/sub/b')),
    ]);
    expect(b.ino).toBe(a.ino);
  });

  it('restores file modes exactly, whether or not the umask would strip bits from them', async () => {
    const umask = process.umask();
    // Modes the umask leaves whole are set at creation, the others by fchmod: both must be exact.
    const modes = [0o644, 0o755, 0o600, 0o444, 0o666, 0o777, 0o620, 0o707];
    expect(modes.some((mode) => (mode & umask) !== 0) || umask === 0).toBe(true);
    await extract(
      await archive(
        modes.map((mode) => ({
          header: { name: `cache/m${mode.toString(8)}`, type: 'file', mode },
          body: 'x',
        })),
      ),
    );
    for (const mode of modes) {
      expect((await stat(path.join(workspace, `cache/m${mode.toString(8)}`))).mode & 0o7777).toBe(mode);
    }
  });

  it('applies directory modes and mtimes after their contents, even read-only ones', async () => {
    await extract(
      await archive([
        { header: { name: 'cache/ro/', type: 'directory', mode: 0o555, mtime: new Date(1_000_000_000_000) } },
        {
          header: {
            name: 'cache/ro/inner/',
            type: 'directory',
            mode: 0o755,
            mtime: new Date(1_100_000_000_000),
          },
        },
        { header: { name: 'cache/ro/inner/f', type: 'file', mode: 0o444 }, body: 'f' },
      ]),
    );
    const ro = await stat(path.join(workspace, 'cache/ro'));
    expect(ro.mode & 0o777).toBe(0o555);
    expect(ro.mtimeMs).toBe(1_000_000_000_000);
    expect((await stat(path.join(workspace, 'cache/ro/inner'))).mtimeMs).toBe(1_100_000_000_000);
    expect((await stat(path.join(workspace, 'cache/ro/inner/f'))).mode & 0o777).toBe(0o444);
    await chmod(path.join(workspace, 'cache/ro'), 0o755); // let afterEach clean up as non-root
  });

  it('writes roots outside the workspace (../ names) and files that are roots themselves', async () => {
    const stats = await extract(
      await archive([
        { header: { name: '../../home/.npm/', type: 'directory' } },
        { header: { name: '../../home/.npm/index', type: 'file' }, body: 'npm' },
        { header: { name: 'single.txt', type: 'file' }, body: 's' },
      ]),
      { roots: ['../../home/.npm', 'single.txt'] },
    );
    expect(stats.files).toBe(2);
    expect(await readFile(path.join(sandbox, 'runner/home/.npm/index'), 'utf8')).toBe('npm');
    expect(await readFile(path.join(workspace, 'single.txt'), 'utf8')).toBe('s');
  });

  it('streams large files with backpressure: the source never runs far ahead of the disk', async () => {
    const size = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 9);
    const target = path.join(workspace, 'cache/big.bin');
    let maxAhead = 0;
    const pack = tar.pack();
    const producing = (async () => {
      const sink = pack.entry({ name: 'cache/big.bin', size, mtime: new Date(1_600_000_000_000) });
      for (let sent = 0; sent < size; sent += chunk.length) {
        let written = 0;
        try {
          written = statSync(target).size;
        } catch {}
        maxAhead = Math.max(maxAhead, sent - written);
        if (!sink.write(chunk)) await once(sink, 'drain');
      }
      sink.end(undefined);
      pack.finalize();
    })();
    const stats = await extractTar(Readable.from(pack), { workspace, roots });
    await producing;
    expect(stats.bytes).toBe(size);
    expect((await stat(target)).size).toBe(size);
    expect(maxAhead).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('extractTar: chunking', () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 100);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
  const members: Member[] = [
    { header: { name: 'cache/d/', type: 'directory', mode: 0o750 } },
    { header: { name: 'cache/d/small', type: 'file', mode: 0o640 }, body: 'small body' },
    { header: { name: 'cache/d/empty', type: 'file' }, body: '' },
    { header: { name: 'cache/d/big.bin', type: 'file' }, body: big },
    { header: { name: 'cache/d/after', type: 'file' }, body: 'x'.repeat(1000) },
    { header: { name: 'cache/d/link', type: 'symlink', linkname: 'small' } },
    { header: { name: 'cache/d/hard', type: 'link', linkname: 'cache/d/small' } },
  ];

  it('extracts the same whatever the size of the chunks the source delivers', async () => {
    const bytes = await archive(members);
    const results: Record<string, string>[] = [];
    for (const chunkSize of [bytes.length, 100_000, 4096, 511]) {
      await rm(path.join(workspace, 'cache'), { recursive: true, force: true });
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
      const stats = await extractTar(Readable.from(chunks), { workspace, roots });
      expect(stats).toEqual({
        files: 4,
        directories: 1,
        symlinks: 1,
        hardlinks: 1,
        bytes: big.length + 1010,
      });
      results.push(await snapshot(path.join(workspace, 'cache')));
    }
    expect(results[0]?.['d/big.bin']).toBe(`file:${createHash('sha256').update(big).digest('hex')}`);
    expect(results[0]?.d).toBe('dir:750');
    for (const result of results) expect(result).toEqual(results[0]);
  });

  it('removes a large file cut short and says the archive is truncated', async () => {
    const bytes = await archive(members);
    const cut = bytes.subarray(0, 2 * 1024 * 1024);
    const error = await extract(cut).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ArchiveExtractError);
    expect((error as Error).message).toMatch(/truncated archive/);
    expect(await readFile(path.join(workspace, 'cache/d/small'), 'utf8')).toBe('small body');
    await expect(lstat(path.join(workspace, 'cache/d/big.bin'))).rejects.toThrow(/ENOENT/);
  });
});

describe('extractTar: property', () => {
  const SEGMENTS = ['a', 'b', 'evil', 'evil', '..', '.', '', 'outside', 'sentinel', 'cache'];
  // Mostly names under the root (where the interesting collisions with `evil` happen), some
  // relative escapes, some absolute ones.
  const pathText = fc
    .tuple(
      fc.constantFrom('cache/', 'cache/', 'cache/', '', '/', '@OUT/'),
      fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 }),
    )
    .map(([prefix, segments]) => prefix + segments.join('/'));
  const member = fc.record({
    name: pathText,
    type: fc.constantFrom('file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo'),
    linkname: pathText,
    body: fc.constantFrom('', 'pwned'),
  });

  it('never writes outside the roots, whatever the members', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(member, { minLength: 1, maxLength: 6 }), async (members) => {
        const root = await mkdtemp(path.join(os.tmpdir(), 's3cache-prop-'));
        try {
          const ws = path.join(root, 'x/ws');
          const out = path.join(root, 'outside');
          await mkdir(path.join(ws, 'cache'), { recursive: true });
          await mkdir(out);
          await writeFile(path.join(out, 'sentinel'), 'untouched');
          await symlink(out, path.join(ws, 'cache/evil'));
          const before = await snapshot(root);
          const expand = (text: string) => text.replace('@OUT', out);
          const bytes = await archive(
            members.map((m) => ({
              header: {
                name: expand(m.name) || '.',
                type: m.type,
                ...(m.type === 'symlink' || m.type === 'link' ? { linkname: expand(m.linkname) } : {}),
              },
              ...(m.type === 'file' ? { body: m.body } : {}),
            })),
          );
          await extractTar(Readable.from([bytes]), { workspace: ws, roots: ['cache'] }).catch(
            (err: unknown) => {
              if (!(err instanceof UnsafeArchiveError || err instanceof ArchiveExtractError)) throw err;
            },
          );
          const after = await snapshot(root);
          const cache = path.join('x/ws/cache');
          for (const [name, value] of Object.entries(after)) {
            if (name === cache || !isWithin(cache, name)) {
              expect([name, value]).toEqual([name, before[name]]);
              continue;
            }
            // Inside the root: any symlink the archive made must point inside the root too.
            if (value.startsWith('link:') && value !== before[name]) {
              const resolved = path.resolve(path.dirname(path.join(root, name)), value.slice('link:'.length));
              expect(isWithin(path.join(root, cache), resolved)).toBe(true);
            }
          }
          expect(await readFile(path.join(out, 'sentinel'), 'utf8')).toBe('untouched');
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
