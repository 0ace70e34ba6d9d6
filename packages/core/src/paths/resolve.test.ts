import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareArchiveNames } from './names.js';
import { resolveCachePaths, resolveCacheRoots } from './resolve.js';

let sandbox: string;
let workspace: string;
let home: string;

async function put(file: string, content = 'x'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 's3cache-resolve-'));
  workspace = path.join(sandbox, 'ws');
  home = path.join(sandbox, 'home');
  await put(path.join(workspace, 'node_modules/pkg/index.js'));
  await mkdir(path.join(workspace, 'node_modules/pkg/empty-dir'), { recursive: true });
  await mkdir(path.join(workspace, 'node_modules/.bin'), { recursive: true });
  await symlink('../pkg/index.js', path.join(workspace, 'node_modules/.bin/tool'));
  await put(path.join(workspace, 'node_modules/tmp/junk.txt'));
  await put(path.join(workspace, 'src/a.o'));
  await put(path.join(workspace, 'src/a.c'));
  await put(path.join(workspace, 'src/sub/b.o'));
  await put(path.join(workspace, 'dist/app.js'));
  await put(path.join(workspace, 'dist/app.js.map'));
  await symlink('node_modules', path.join(workspace, 'linked'));
  await put(path.join(home, '.npm/_cacache/index'));
  await put(path.join(sandbox, 'outside/data'));
});

afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

const names = async (patterns: string[]) =>
  (await resolveCachePaths(patterns, { workspace, home })).items.map((item) => item.name);

describe('resolveCachePaths', () => {
  it('enumerates a directory with its files, empty directories and symlinks, parents first', async () => {
    const { items, roots } = await resolveCachePaths(['node_modules'], { workspace, home });
    expect(items.map((i) => [i.name, i.type])).toEqual([
      ['node_modules', 'directory'],
      ['node_modules/.bin', 'directory'],
      ['node_modules/.bin/tool', 'symlink'],
      ['node_modules/pkg', 'directory'],
      ['node_modules/pkg/empty-dir', 'directory'],
      ['node_modules/pkg/index.js', 'file'],
      ['node_modules/tmp', 'directory'],
      ['node_modules/tmp/junk.txt', 'file'],
    ]);
    expect(items.find((i) => i.name === 'node_modules/pkg/index.js')).toEqual({
      path: path.join(workspace, 'node_modules/pkg/index.js'),
      name: 'node_modules/pkg/index.js',
      type: 'file',
    });
    expect(roots).toEqual(['node_modules']);
  });

  it('applies exclusions inside matched directories', async () => {
    expect(await names(['node_modules', '!node_modules/tmp'])).not.toContain('node_modules/tmp/junk.txt');
    expect(await names(['node_modules', '! node_modules/tmp'])).not.toContain('node_modules/tmp');
    expect(await names(['node_modules', '!**/*.js'])).not.toContain('node_modules/pkg/index.js');
  });

  it('supports ** and ? wildcards', async () => {
    expect(await names(['src/**/*.o'])).toEqual(['src/a.o', 'src/sub/b.o']);
    expect(await names(['dist/app.j?'])).toEqual(['dist/app.js']);
  });

  it('stores a symlink to a directory as a link and does not traverse it', async () => {
    const { items } = await resolveCachePaths(['linked', 'linked/**'], { workspace, home });
    expect(items.map((i) => [i.name, i.type])).toEqual([['linked', 'symlink']]);
    expect(await names(['**/index.js'])).toEqual(['node_modules/pkg/index.js']);
  });

  it('expands ~ to the given home and names paths outside the workspace with ../', async () => {
    const { items, roots } = await resolveCachePaths(['~/.npm', '../outside'], { workspace, home });
    expect(items.map((i) => i.name)).toEqual([
      '../home/.npm',
      '../home/.npm/_cacache',
      '../home/.npm/_cacache/index',
      '../outside',
      '../outside/data',
    ]);
    expect(roots).toEqual(['../home/.npm', '../outside']);
  });

  it('deduplicates overlapping patterns', async () => {
    const listed = await names([
      'node_modules/pkg',
      'node_modules',
      '**/index.js',
      'node_modules/pkg/index.js',
    ]);
    expect(listed.filter((n) => n === 'node_modules/pkg/index.js')).toHaveLength(1);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('returns no items when nothing matches, or only exclusions are given', async () => {
    expect(await resolveCachePaths(['does-not-exist', 'nope/**/*.x'], { workspace, home })).toEqual({
      items: [],
      roots: ['does-not-exist', 'nope'],
    });
    expect((await resolveCachePaths(['!node_modules'], { workspace, home })).items).toEqual([]);
  });

  it('never lists the workspace itself', async () => {
    const listed = await names(['**']);
    expect(listed).not.toContain('.');
    expect(listed).toContain('src/sub/b.o');
  });

  it('is deterministic and sorted with compareArchiveNames', async () => {
    const first = await names(['**', '~/.npm']);
    const second = await names(['~/.npm', '**']);
    expect(first).toEqual(second);
    expect([...first].sort(compareArchiveNames)).toEqual(first);
  });

  it('skips special files with a warning', async () => {
    const fifo = path.join(workspace, 'pipes/fifo');
    await mkdir(path.dirname(fifo), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    const warnings: string[] = [];
    const { items } = await resolveCachePaths(['pipes'], {
      workspace,
      home,
      onWarning: (m) => warnings.push(m),
    });
    expect(items.map((i) => i.name)).toEqual(['pipes']);
    expect(warnings).toEqual(['skipping pipes/fifo: not a regular file, directory or symbolic link']);
  });
});

describe('resolveCacheRoots', () => {
  it('gives the same roots as resolveCachePaths without touching the disk', async () => {
    const patterns = ['node_modules', 'src/**/*.o', '~/.npm', '!node_modules/tmp', 'missing/dir'];
    expect(resolveCacheRoots(patterns, { workspace, home })).toEqual(
      (await resolveCachePaths(patterns, { workspace, home })).roots,
    );
    expect(resolveCacheRoots(['/nowhere/x', '~/y'], { workspace: '/w/r', home: '/h' })).toEqual([
      '../../h/y',
      '../../nowhere/x',
    ]);
  });
});
