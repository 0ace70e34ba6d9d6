import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCachePaths, resolveCacheRoots } from '../paths/resolve.js';
import { UnsafeArchiveError } from './errors.js';
import { extractTar } from './extract.js';
import type { MtimePrecision } from './header.js';
import { createTarStream } from './pack.js';

let sandbox: string;

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-roundtrip-'));
});

afterEach(async () => {
  // Read-only directories from the fixture would stop rm as a non-root user.
  await chmodTree(sandbox);
  await rm(sandbox, { recursive: true, force: true });
});

async function chmodTree(dir: string): Promise<void> {
  const stats = await lstat(dir).catch(() => undefined);
  if (!stats?.isDirectory()) return;
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir)) await chmodTree(path.join(dir, entry));
}

const LONG_DIR = 'a-rather-long-directory-name-for-testing/'.repeat(4);
const LONG_FILE = `${'long-file-name-'.repeat(12)}.txt`;

interface Layout {
  workspace: string;
  home: string;
}

/** A realistic dependency cache: the shapes that break naive archivers. */
async function buildTree({ workspace, home }: Layout, withAbsoluteLink: boolean): Promise<void> {
  const file = async (relative: string, content: string | Buffer, mode = 0o644, mtime = 1_650_000_000) => {
    const target = path.join(relative.startsWith('~/') ? home : workspace, relative.replace(/^~\//, ''));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    await chmod(target, mode);
    await utimes(target, mtime, mtime);
  };
  const link = async (relative: string, to: string, mtime = 1_640_000_000) => {
    const target = path.join(relative.startsWith('~/') ? home : workspace, relative.replace(/^~\//, ''));
    await mkdir(path.dirname(target), { recursive: true });
    await symlink(to, target);
    await lutimes(target, mtime, mtime);
  };
  await file('node_modules/pkg/package.json', '{"name":"pkg"}');
  await file('node_modules/pkg/bin.js', '#!/usr/bin/env node\n', 0o755, 1_600_000_001);
  await file('node_modules/pkg/readonly.txt', 'ro', 0o444);
  await file('node_modules/pkg/empty-file', '');
  await file('node_modules/pkg/dir with space/ünïcødé ☃ 🎉.txt', 'unicode');
  await file(`node_modules/pkg/${LONG_DIR}${LONG_FILE}`, 'long');
  await file('node_modules/pkg/ro-dir/inside', 'in a read-only dir');
  await file('.cache/tool/data.bin', randomBytes(300_000));
  await mkdir(path.join(workspace, 'node_modules/pkg/empty-dir'), { recursive: true });
  await link('node_modules/.bin/pkg', '../pkg/bin.js');
  await link('node_modules/pkg/dangling', 'does-not-exist');
  await link('node_modules/pkg/self-dir', '.');
  await file('~/.tool/config', 'home config', 0o600);
  if (withAbsoluteLink) await link('~/.tool/abs-link', path.join(home, '.tool/config'));
  // Directory metadata last: creating children changes a directory's mtime. Whole seconds,
  // since the default precision stores seconds.
  await settleDirectories(workspace, 1_645_000_000);
  await settleDirectories(home, 1_645_000_000);
  const dirs: Array<[string, number, number]> = [
    ['node_modules/pkg/empty-dir', 0o700, 1_610_000_000],
    ['node_modules/pkg/ro-dir', 0o555, 1_620_000_000],
    ['node_modules/pkg', 0o755, 1_630_000_000],
    ['node_modules', 0o755, 1_630_000_001],
  ];
  for (const [relative, mode, mtime] of dirs) {
    await chmod(path.join(workspace, relative), mode);
    await utimes(path.join(workspace, relative), mtime, mtime);
  }
}

async function settleDirectories(dir: string, mtime: number): Promise<void> {
  const stats = await lstat(dir);
  if (!stats.isDirectory()) return;
  for (const entry of await readdir(dir)) await settleDirectories(path.join(dir, entry), mtime);
  await utimes(dir, mtime, mtime);
}

type Snapshot = Record<
  string,
  { type: string; mode?: number; mtimeMs: number; content?: string; target?: string }
>;

/** Content, modes, mtimes and link targets of everything under the given roots. */
async function snapshot(base: string, names: string[]): Promise<Snapshot> {
  const result: Snapshot = {};
  async function walk(relative: string): Promise<void> {
    const full = path.join(base, relative);
    const stats = await lstat(full).catch(() => undefined);
    if (!stats) return;
    if (stats.isSymbolicLink()) {
      result[relative] = { type: 'symlink', mtimeMs: stats.mtimeMs, target: await readlink(full) };
    } else if (stats.isDirectory()) {
      result[relative] = { type: 'directory', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs };
      for (const entry of (await readdir(full)).sort()) await walk(path.join(relative, entry));
    } else {
      const content = createHash('sha256')
        .update(await readFile(full))
        .digest('hex');
      result[relative] = { type: 'file', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, content };
    }
  }
  for (const name of names) await walk(name);
  return result;
}

async function pack(
  patterns: string[],
  layout: Layout,
  precision: MtimePrecision = 'second',
): Promise<Buffer> {
  const { items } = await resolveCachePaths(patterns, layout);
  const chunks: Buffer[] = [];
  for await (const chunk of createTarStream(items, { mtimePrecision: precision }))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const PATTERNS = ['node_modules', '.cache', '~/.tool'];
const SNAPSHOT_ROOTS = ['node_modules', '.cache', '../home/.tool'];

describe('round trip: resolve → pack → extract', () => {
  it('restores a realistic tree byte for byte in the same place on a fresh runner', async () => {
    const layout = { workspace: path.join(sandbox, 'ws'), home: path.join(sandbox, 'home') };
    await buildTree(layout, true);
    const before = await snapshot(layout.workspace, SNAPSHOT_ROOTS);
    const archive = await pack(PATTERNS, layout);

    // A fresh runner: same paths, nothing on disk.
    await chmodTree(sandbox);
    await rm(sandbox, { recursive: true });
    await mkdir(layout.workspace, { recursive: true });
    const roots = resolveCacheRoots(PATTERNS, layout);
    const stats = await extractTar(Readable.from([archive]), { ...layout, roots });

    expect(await snapshot(layout.workspace, SNAPSHOT_ROOTS)).toEqual(before);
    expect(stats.files + stats.directories + stats.symlinks).toBe(Object.keys(before).length);
  });

  it('restores into a workspace somewhere else, and rejects absolute links into the old one', async () => {
    const source = { workspace: path.join(sandbox, 'one/ws'), home: path.join(sandbox, 'one/home') };
    await buildTree(source, false);
    const before = await snapshot(source.workspace, SNAPSHOT_ROOTS);
    const archive = await pack(PATTERNS, source);

    const target = { workspace: path.join(sandbox, 'two/ws'), home: path.join(sandbox, 'two/home') };
    await mkdir(target.workspace, { recursive: true });
    await extractTar(Readable.from([archive]), { ...target, roots: resolveCacheRoots(PATTERNS, target) });
    expect(await snapshot(target.workspace, SNAPSHOT_ROOTS)).toEqual(before);

    // An absolute link into the old home is outside the new roots: refused, by design.
    await symlink(path.join(source.home, '.tool/config'), path.join(source.home, '.tool/abs-link'));
    const withAbsolute = await pack(PATTERNS, source);
    const third = { workspace: path.join(sandbox, 'three/ws'), home: path.join(sandbox, 'three/home') };
    await mkdir(third.workspace, { recursive: true });
    await expect(
      extractTar(Readable.from([withAbsolute]), { ...third, roots: resolveCacheRoots(PATTERNS, third) }),
    ).rejects.toThrow(UnsafeArchiveError);
  });

  it('keeps sub-second mtimes with nanosecond precision', async () => {
    const layout = { workspace: path.join(sandbox, 'ws'), home: path.join(sandbox, 'home') };
    await mkdir(path.join(layout.workspace, 'c/d'), { recursive: true });
    await writeFile(path.join(layout.workspace, 'c/d/f'), 'x');
    await utimes(path.join(layout.workspace, 'c/d/f'), 1_650_000_000.123456, 1_650_000_000.123456);
    await utimes(path.join(layout.workspace, 'c/d'), 1_650_000_001.5, 1_650_000_001.5);
    const before = await snapshot(layout.workspace, ['c/d']);
    const archive = await pack(['c'], layout, 'nanosecond');
    await rm(path.join(layout.workspace, 'c'), { recursive: true });
    await extractTar(Readable.from([archive]), { ...layout, roots: ['c'] });
    const after = await snapshot(layout.workspace, ['c/d']);
    expect(after['c/d/f']?.mtimeMs).toBe(before['c/d/f']?.mtimeMs);
    expect(after['c/d']?.mtimeMs).toBe(1_650_000_001_500);
  });

  it('extracts what GNU tar --posix writes (the actions/cache format)', async () => {
    const layout = { workspace: path.join(sandbox, 'ws'), home: path.join(sandbox, 'home') };
    await buildTree(layout, false);
    const before = await snapshot(layout.workspace, ['node_modules', '.cache']);
    const archive = execFileSync(
      'tar',
      ['--posix', '-cf', '-', '-C', layout.workspace, 'node_modules', '.cache'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const other = { workspace: path.join(sandbox, 'other-ws'), home: layout.home };
    await mkdir(other.workspace);
    await extractTar(Readable.from([archive]), { ...other, roots: ['node_modules', '.cache'] });
    expect(await snapshot(other.workspace, ['node_modules', '.cache'])).toEqual(before);
  });

  it('produces identical bytes for an identical tree', async () => {
    const first = { workspace: path.join(sandbox, 'a/ws'), home: path.join(sandbox, 'a/home') };
    const second = { workspace: path.join(sandbox, 'b/ws'), home: path.join(sandbox, 'b/home') };
    await buildTree(first, false);
    await buildTree(second, false);
    // Random content differs between the two trees: give them the same bytes.
    const data = await readFile(path.join(first.workspace, '.cache/tool/data.bin'));
    await writeFile(path.join(second.workspace, '.cache/tool/data.bin'), data);
    await utimes(path.join(second.workspace, '.cache/tool/data.bin'), 1_650_000_000, 1_650_000_000);
    expect((await pack(PATTERNS, first)).equals(await pack(PATTERNS, second))).toBe(true);
  });
});
