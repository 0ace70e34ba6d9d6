import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { applyChanges, planChanges } from './changes.js';
import { ContentGenerator } from './content.js';
import { Random } from './random.js';
import { formatDeltaSavings, formatPhase } from './report.js';
import { generateTree, scaledTree } from './tree.js';
import { compareSnapshots, type Snapshot, type TreeItem, verifyTrees } from './verify.js';

const temps: string[] = [];
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 's3cache-demo-unit-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('Random', () => {
  it('is deterministic per seed and stays in range', () => {
    const a = new Random(42);
    const b = new Random(42);
    const xs = Array.from({ length: 100 }, () => a.int(10));
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.int(10)));
    expect(new Set(xs).size).toBe(10);
    for (let i = 0; i < 1000; i++) {
      const v = a.logUniform(1024, 65_536);
      expect(v).toBeGreaterThanOrEqual(1024);
      expect(v).toBeLessThanOrEqual(65_536);
    }
    expect(new Set(a.sample(50, 20)).size).toBe(20);
  });
});

describe('ContentGenerator', () => {
  it('makes varied bytes that compress, but not to nothing', () => {
    // zstd where node:zlib has it (Node >= 22.15), gzip otherwise: either shows compressibility.
    const { zstdCompressSync } = zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer };
    const gen = new ContentGenerator(new Random(1));
    const a = gen.generate(256 * 1024);
    const b = gen.generate(256 * 1024);
    expect(a.length).toBe(256 * 1024);
    expect(a.equals(b)).toBe(false);
    const ratio = a.length / (zstdCompressSync ? zstdCompressSync(a) : zlib.gzipSync(a)).length;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(8);
  });
});

describe('tree, changes and verification', () => {
  it('generates the tree, applies a change plan and detects every kind of difference', async () => {
    const root = await temp();
    const rng = new Random(7);
    const gen = new ContentGenerator(rng);
    const spec = { ...scaledTree(0.01), largeMin: 300 * 1024, largeMax: 400 * 1024 };
    const tree = await generateTree(join(root, 'a/ccache'), spec, gen, rng);
    expect(tree.files.length).toBe(spec.smallFiles + spec.largeFiles + 2);
    expect((await stat(join(root, 'a/ccache/bin/compiler-wrapper.sh'))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(root, 'a/ccache/ccache.conf'), 'utf8')).toContain('max_size');

    const plan = planChanges(tree.files, rng, { modify: 0.1, remove: 0.05, add: 0.05 });
    expect(plan.modify.length).toBeGreaterThan(0);
    expect(plan.patch?.length).toBe(64 * 1024);
    const before = tree.files.length;
    const summary = await applyChanges(tree, plan, gen);
    expect(tree.files.length).toBe(before - summary.removed + summary.added);

    // An identical copy verifies; then each kind of damage is reported.
    const copyRoot = join(root, 'b/ccache');
    await mkdir(copyRoot, { recursive: true });
    await cp(tree.root, copyRoot, { recursive: true, verbatimSymlinks: true });
    expect((await verifyTrees(tree.root, copyRoot)).differences).toEqual([]);

    const [first, second, third] = tree.files.filter((f) => f.path.endsWith('.o'));
    await writeFile(join(copyRoot, first?.path ?? ''), Buffer.alloc(first?.size ?? 0));
    await chmod(join(copyRoot, second?.path ?? ''), 0o600 === second?.mode ? 0o644 : 0o600);
    await unlink(join(copyRoot, third?.path ?? ''));
    await unlink(join(copyRoot, 'current.gch'));
    await symlink('elsewhere', join(copyRoot, 'current.gch'));
    await writeFile(join(copyRoot, 'extra.txt'), 'x');
    const problems = (await verifyTrees(tree.root, copyRoot)).differences.map(
      (d) => `${d.path}: ${d.problem}`,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        `${first?.path}: content differs`,
        expect.stringMatching(new RegExp(`^${second?.path}: mode `)),
        `${third?.path}: missing file`,
        'current.gch: points to elsewhere, expected precompiled/pch-00.gch',
        'extra.txt: unexpected file',
      ]),
    );
  });

  it('compares snapshots structurally', () => {
    const file = (size: number, mode = 0o644): TreeItem => ({ type: 'file', mode, size, target: undefined });
    const expected: Snapshot = new Map([
      ['a', file(1)],
      ['d', { type: 'directory', mode: 0o755, size: 0, target: undefined }],
    ]);
    const actual: Snapshot = new Map([
      ['a', file(2)],
      ['d', file(0)],
    ]);
    expect(compareSnapshots(expected, actual)).toEqual([
      { path: 'a', problem: '2 bytes, expected 1' },
      { path: 'd', problem: 'is a file, expected a directory' },
    ]);
  });
});

describe('demo report', () => {
  it('aligns phase lines and states delta savings', () => {
    const line = formatPhase({ name: 'save', summary: 'full', seconds: 2, rateBytes: 100e6 });
    expect(line).toMatch(/^save {6}full {2,}2\.00 s {2,}50\.0 MB\/s$/);
    expect(formatPhase({ name: 'change', summary: 'x', seconds: 0.2 })).toMatch(/200 ms$/);
    expect(formatDeltaSavings(16 * 1024 ** 2, 64 * 1024 ** 2)).toBe(
      '16.0 MiB uploaded instead of 64.0 MiB (75% less)',
    );
  });
});
