import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheContext } from '../src/engine/context.js';
import { deleteEntry } from '../src/engine/delete.js';
import { restoreCache } from '../src/engine/restore.js';
import { saveCache } from '../src/engine/save.js';
import { parseManifest } from '../src/format/manifest.js';
import { Layout } from '../src/layout/layout.js';
import { InvalidPathPatternError } from '../src/paths/errors.js';
import { DirStore } from '../src/store/dir-store.js';
import { collect } from '../src/store/store.js';
import { defaultWorkerScript } from '../src/worker/script.js';
import { type StoreFixture, storeKinds } from './stores.js';

const version = 'b'.repeat(64);
const repository = 'acme/widgets';
const main = 'refs/heads/main';

async function makeTree(root: string): Promise<void> {
  await fs.mkdir(join(root, 'cache/objs/nested/deeper'), { recursive: true });
  await fs.mkdir(join(root, 'cache/empty-dir'), { recursive: true });
  for (let i = 0; i < 300; i++) {
    const dir = join(root, 'cache/objs', (i % 16).toString(16));
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(join(dir, `obj-${i}.o`), randomBytes(200 + ((i * 7919) % 6000)));
  }
  await fs.writeFile(join(root, 'cache/objs/nested/deeper/text file ✓.txt'), 'hello '.repeat(10_000));
  await fs.writeFile(join(root, 'cache/empty-file'), '');
  await fs.writeFile(join(root, 'cache/run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await fs.symlink('objs/nested', join(root, 'cache/link-to-nested'));
  await fs.utimes(
    join(root, 'cache/run.sh'),
    new Date('2024-01-02T03:04:05Z'),
    new Date('2024-01-02T03:04:05Z'),
  );
}

/** path → [type, mode, mtime (s), sha256 or link target] for every item below root. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = full.slice(root.length + 1);
      const st = await fs.lstat(full);
      if (entry.isSymbolicLink()) out[rel] = `link ${await fs.readlink(full)}`;
      else if (entry.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o777).toString(8)}`;
        await walk(full);
      } else {
        const hash = createHash('sha256')
          .update(await fs.readFile(full))
          .digest('hex');
        out[rel] = `file ${(st.mode & 0o777).toString(8)} ${Math.floor(st.mtimeMs / 1000)} ${hash}`;
      }
    }
  };
  await walk(root);
  return out;
}

describe('a save whose worker starts before its paths resolve', () => {
  it('stops the worker when there is nothing to save, and reports bad input before store faults', async () => {
    const work = await fs.mkdtemp(join(tmpdir(), 's3cache-early-'));
    try {
      const worker = defaultWorkerScript();
      const storeRoot = join(work, 'store');
      const ctx: CacheContext = { store: new DirStore(storeRoot), layout: new Layout('ci'), worker };
      const save = (c: CacheContext, paths: string[]) =>
        saveCache(c, { repository, version, scope: main, key: 'k', paths, workspace: work });
      // Nothing matches: `empty`, and the worker, never given items, is stopped (else this hangs).
      expect((await save(ctx, ['no-such-dir/**'])).outcome).toBe('empty');

      // A store that cannot be read (its root is a file): the entry lookup, which runs while the
      // paths resolve, fails; an invalid pattern is still what the save reports.
      await fs.writeFile(join(work, 'not-a-dir'), '');
      const broken: CacheContext = { ...ctx, store: new DirStore(join(work, 'not-a-dir', 'store')) };
      await expect(save(broken, ['cache/*/..'])).rejects.toBeInstanceOf(InvalidPathPatternError);
      await fs.mkdir(join(work, 'cache'));
      await fs.writeFile(join(work, 'cache', 'f'), 'x');
      await expect(save(broken, ['cache'])).rejects.toThrow();
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  });
});

describe.each(storeKinds)('save → restore round trip: $name', ({ create, skip }) => {
  let fx: StoreFixture;
  let work: string;
  let ctx: CacheContext;
  beforeAll(async () => {
    if (skip) return;
    fx = await create();
    work = await fs.mkdtemp(join(tmpdir(), 's3cache-rt-'));
    ctx = { store: fx.store, layout: new Layout('ci') };
  });
  afterAll(async () => {
    await fx?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const base = { repository, version };
  /** Restores exactly `primaryKey` from the main branch's scope into `workspace`. */
  const restoreKey = (primaryKey: string, workspace: string, paths = ['cache']) =>
    restoreCache(ctx, { ...base, scopes: [main], primaryKey, restoreKeys: [], paths, workspace });

  it.skipIf(skip)('restores byte-identical content and metadata into a fresh workspace', async () => {
    const ws1 = join(work, 'ws1');
    await makeTree(ws1);
    const saved = await saveCache(ctx, {
      ...base,
      scope: main,
      key: 'tree-1',
      paths: ['cache'],
      workspace: ws1,
    });
    expect(saved.outcome).toBe('saved');
    expect(saved.items).toBeGreaterThan(300);

    const ws2 = join(work, 'ws2');
    await fs.mkdir(ws2);
    const restored = await restoreKey('tree-1', ws2);
    expect(restored).toMatchObject({ matchedKey: 'tree-1', cacheHit: true, rawBytes: saved.rawBytes });
    expect(await snapshot(join(ws2, 'cache'))).toEqual(await snapshot(join(ws1, 'cache')));
  });

  it.skipIf(skip)('archives on a worker thread into the same chunks, and restores them', async () => {
    const ws1 = join(work, 'ws1');
    const worker = defaultWorkerScript();
    expect(worker).toBeDefined();
    const saved = await saveCache(
      { ...ctx, worker },
      { ...base, scope: main, key: 'tree-worker', paths: ['cache'], workspace: ws1 },
    );
    expect(saved.outcome).toBe('saved');
    const manifestOf = async (key: string) => {
      const objects = await collect(fx.store.list(`ci/acme/widgets/heads/main/${version}/${key}/`));
      const manifest = objects.find((o) => o.key.endsWith('manifest.json'));
      return parseManifest(await fx.store.getObject(manifest?.key ?? ''));
    };
    const [byWorker, byMain] = await Promise.all([manifestOf('tree-worker'), manifestOf('tree-1')]);
    expect(byWorker.chunks.map((c) => c[0])).toEqual(byMain.chunks.map((c) => c[0]));

    const wsWorker = join(work, 'wsWorker');
    await fs.mkdir(wsWorker);
    const restored = await restoreKey('tree-worker', wsWorker);
    expect(restored.cacheHit).toBe(true);
    expect(await snapshot(join(wsWorker, 'cache'))).toEqual(await snapshot(join(ws1, 'cache')));
  });

  it.skipIf(skip)('writes a pack that stock zstd and tar can read', async () => {
    const objects = await collect(fx.store.list('ci/acme/widgets/heads/main/'));
    const pack = objects.find((o) => o.key.endsWith('.pack'));
    expect(pack).toBeDefined();
    const file = join(work, 'base.pack');
    await fs.writeFile(file, await fx.store.getObject(pack?.key ?? ''));
    const out = join(work, 'stock');
    await fs.mkdir(out);
    execFileSync('sh', ['-c', `zstd -dc "${file}" | tar -x -C "${out}"`]);
    expect(await snapshot(join(out, 'cache'))).toEqual(await snapshot(join(work, 'ws1', 'cache')));
  });

  it.skipIf(skip)('first write wins and the loser keeps nothing', async () => {
    const ws = join(work, 'ws1');
    const again = await saveCache(ctx, {
      ...base,
      scope: main,
      key: 'tree-1',
      paths: ['cache'],
      workspace: ws,
      useDeltas: false,
    });
    expect(again.outcome).toBe('exists');
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        saveCache(ctx, { ...base, scope: main, key: 'raced', paths: ['cache'], workspace: ws }),
      ),
    );
    expect(results.map((r) => r.outcome).sort()).toEqual(['exists', 'exists', 'saved']);
    const packs = (await collect(fx.store.list('ci/acme/widgets/heads/main/'))).filter(
      (o) => o.key.includes('/raced/') && o.key.endsWith('.pack'),
    );
    expect(packs).toHaveLength(1);
  });

  it.skipIf(skip)('uploads only changed chunks as a delta, and nothing when nothing changed', async () => {
    // Chunks small enough that a 2 MB tree has dozens of them, as a real cache has thousands.
    const chunking = { minSize: 4096, avgSize: 16384, maxSize: 65536 };
    const ws = join(work, 'ws1');
    const opts = { ...base, scope: main, key: 'tree-delta', paths: ['cache'], workspace: ws, chunking };
    expect((await saveCache(ctx, opts)).outcome).toBe('saved');
    const unchanged = await saveCache(ctx, opts);
    expect(unchanged.outcome).toBe('unchanged');
    expect(unchanged.uploadedBytes).toBe(0);
    await fs.writeFile(join(ws, 'cache/objs/3/obj-3.o'), randomBytes(3000));
    await fs.writeFile(join(ws, 'cache/objs/new.o'), randomBytes(5000));
    const delta = await saveCache(ctx, opts);
    expect(delta.outcome).toBe('delta');
    expect(delta.uploadedBytes).toBeGreaterThan(8000);
    expect(delta.uploadedBytes).toBeLessThan(delta.entryBytes / 5);

    const ws3 = join(work, 'ws3');
    await fs.mkdir(ws3);
    const restored = await restoreKey('tree-delta', ws3);
    expect(restored.deltaBytes).toBe(delta.uploadedBytes);
    expect(await snapshot(join(ws3, 'cache'))).toEqual(await snapshot(join(ws, 'cache')));
  });

  it.skipIf(skip)('matches like actions/cache: exact, newest prefix, restore keys, scope order', async () => {
    const ws = join(work, 'small');
    await fs.mkdir(join(ws, 'd'), { recursive: true });
    const save = async (scope: string, key: string, content: string) => {
      await fs.writeFile(join(ws, 'd/f'), content);
      const r = await saveCache(ctx, { ...base, scope, key, paths: ['d'], workspace: ws });
      expect(r.outcome).toBe('saved');
    };
    await save(main, 'deps-linux-aaa', 'main aaa');
    await new Promise((r) => setTimeout(r, 20));
    await save(main, 'deps-linux-bbb', 'main bbb');
    await save('refs/heads/feature', 'deps-linux-ccc', 'sibling');
    await save('refs/pull/9/merge', 'deps-other', 'pr');
    const restore = async (scopes: string[], primaryKey: string, restoreKeys: string[]) => {
      const target = await fs.mkdtemp(join(work, 'r-'));
      const r = await restoreCache(ctx, {
        ...base,
        scopes,
        primaryKey,
        restoreKeys,
        paths: ['d'],
        workspace: target,
      });
      const content = r.matchedKey ? await fs.readFile(join(target, 'd/f'), 'utf8') : undefined;
      return { key: r.matchedKey, hit: r.cacheHit, content };
    };
    expect(await restore([main], 'deps-linux-aaa', [])).toEqual({
      key: 'deps-linux-aaa',
      hit: true,
      content: 'main aaa',
    });
    expect(await restore([main], 'DEPS-LINUX-AAA', [])).toMatchObject({ key: undefined });
    expect(await restore([main], 'deps-linux', [])).toEqual({
      key: 'deps-linux-bbb',
      hit: false,
      content: 'main bbb',
    });
    expect(await restore([main], 'nope', ['deps-linux-aaa', 'deps-'])).toMatchObject({
      key: 'deps-linux-aaa',
    });
    expect(await restore([main], 'nope', ['zzz', 'deps-'])).toMatchObject({ key: 'deps-linux-bbb' });
    // A pull request reads its own scope first, then its base / default branch, never a sibling.
    const pr = ['refs/pull/9/merge', main];
    expect(await restore(pr, 'deps-', [])).toMatchObject({ key: 'deps-other', content: 'pr' });
    expect(await restore(pr, 'deps-linux', [])).toMatchObject({ key: 'deps-linux-bbb' });
    expect(await restore(['refs/pull/10/merge', main], 'deps-linux-ccc', [])).toMatchObject({
      key: undefined,
    });
    const lookup = await restoreCache(ctx, {
      ...base,
      scopes: [main],
      primaryKey: 'deps-linux-aaa',
      restoreKeys: [],
      paths: ['d'],
      workspace: join(work, 'never-created'),
      lookupOnly: true,
    });
    expect(lookup.cacheHit).toBe(true);
    await expect(fs.stat(join(work, 'never-created'))).rejects.toThrow();
  });

  it.skipIf(skip)('round-trips any key actions/cache accepts and records access', async () => {
    const ws = join(work, 'small');
    for (const key of [
      'unicode ✓ 🚀 ключ',
      'with/slashes and spaces',
      '100% sure',
      '🚀'.repeat(256),
      'é'.repeat(512),
      'k'.repeat(512),
    ]) {
      const saved = await saveCache(ctx, { ...base, scope: main, key, paths: ['d'], workspace: ws });
      expect(saved.outcome).toBe('saved');
      const target = await fs.mkdtemp(join(work, 'k-'));
      const r = await restoreKey(key, target, ['d']);
      expect(r).toMatchObject({ matchedKey: key, cacheHit: true });
      const prefixed = await restoreCache(ctx, {
        ...base,
        scopes: [main],
        primaryKey: 'nothing',
        restoreKeys: [key.slice(0, 400)],
        paths: ['d'],
        workspace: target,
      });
      expect(prefixed.matchedKey?.startsWith(key.slice(0, 400))).toBe(true);
    }
    const layout = new Layout('ci');
    const marker = layout.markerKey({ repository, scope: main, version, key: 'unicode ✓ 🚀 ключ' });
    expect(JSON.parse((await fx.store.getObject(marker)).toString()).key).toBe('unicode ✓ 🚀 ключ');
  });

  it.skipIf(skip)('deletes an entry manifest-first and completely', async () => {
    const ws = join(work, 'small');
    await saveCache(ctx, { ...base, scope: main, key: 'doomed', paths: ['d'], workspace: ws });
    const ref = { repository, scope: main, version, key: 'doomed' };
    expect(await deleteEntry(ctx, ref)).toMatchObject({ existed: true });
    const left = (await collect(fx.store.list('ci/acme/widgets/'))).filter((o) => o.key.includes('/doomed'));
    expect(left).toEqual([]);
    expect(await deleteEntry(ctx, ref)).toMatchObject({ existed: false });
  });

  it.skipIf(skip)('turns a corrupt pack into a typed error, never a wrong restore', async () => {
    const ws = join(work, 'small');
    await fs.writeFile(join(ws, 'd/f'), 'precious');
    await saveCache(ctx, { ...base, scope: main, key: 'corrupt-me', paths: ['d'], workspace: ws });
    const objects = await collect(fx.store.list('ci/acme/widgets/heads/main/'));
    const manifestKey =
      objects.find((o) => o.key.includes('/corrupt-me/') && o.key.endsWith('manifest.json'))?.key ?? '';
    const manifest = parseManifest(await fx.store.getObject(manifestKey));
    const packKey = manifestKey.replace('manifest.json', `packs/${manifest.packs[0]?.id}.pack`);
    const pack = await fx.store.getObject(packKey);
    pack[pack.length - 8] = (pack[pack.length - 8] ?? 0) ^ 0xff;
    await fx.store.putObject(packKey, pack);
    const target = await fs.mkdtemp(join(work, 'c-'));
    await expect(restoreKey('corrupt-me', target, ['d'])).rejects.toThrow(
      /verification|zstd|Integrity|frame|corrupt/i,
    );
    await expect(fs.readFile(join(target, 'd/f'))).rejects.toThrow();
  });
});
