import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheContext } from '../src/engine/context.js';
import { restoreCache } from '../src/engine/restore.js';
import { type SaveOptions, saveCache } from '../src/engine/save.js';
import { parseManifest } from '../src/format/manifest.js';
import { Layout } from '../src/layout/layout.js';
import { collect } from '../src/store/store.js';
import { type StoreFixture, storeKinds } from './stores.js';

const version = 'e'.repeat(64);
const main = 'refs/heads/main';
const DAY = 24 * 3600 * 1000;

async function digest(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string) => {
    for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(dir, entry.name);
      hash.update(full.slice(root.length));
      if (entry.isDirectory()) await walk(full);
      else hash.update(await fs.readFile(full));
    }
  };
  await walk(root);
  return hash.digest('hex');
}

describe.each(storeKinds)('deltas: $name', ({ create, skip }) => {
  let fx: StoreFixture;
  let work: string;
  let ws: string;
  let clock = Date.parse('2026-11-01T00:00:00Z');
  let ctx: CacheContext;
  beforeAll(async () => {
    if (skip) return;
    fx = await create();
    work = await fs.mkdtemp(join(tmpdir(), 's3cache-deltas-'));
    ws = join(work, 'ws');
    await fs.mkdir(join(ws, 'c'), { recursive: true });
    for (let i = 0; i < 200; i++) await fs.writeFile(join(ws, 'c', `o${i}`), randomBytes(20_000));
    ctx = { store: fx.store, layout: new Layout(), now: () => new Date(clock) };
  });
  afterAll(async () => {
    await fx?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const opts = (key: string, extra: Partial<SaveOptions> = {}): SaveOptions => ({
    repository: 'acme/deltas',
    scope: main,
    version,
    key,
    paths: ['c'],
    workspace: ws,
    ...extra,
  });
  const restore = async (key: string, restoreKeys: string[] = []) => {
    const target = await fs.mkdtemp(join(work, 'r-'));
    const result = await restoreCache(ctx, {
      ...opts(key),
      scopes: [main],
      primaryKey: key,
      restoreKeys,
      workspace: target,
    });
    return { result, digest: result.matchedKey ? await digest(join(target, 'c')) : undefined };
  };
  const packsOf = async (key: string) =>
    (await collect(fx.store.list('acme/deltas/'))).filter((o) => o.key.includes(`/${key}/packs/`));

  it.skipIf(skip)(
    'chains base → delta → delta, each delta against the base only, and restores the newest',
    async () => {
      expect((await saveCache(ctx, opts('k'))).outcome).toBe('saved');
      await fs.writeFile(join(ws, 'c/o5'), randomBytes(20_000));
      clock += 1000;
      const d1 = await saveCache(ctx, opts('k'));
      expect(d1.outcome).toBe('delta');
      await fs.writeFile(join(ws, 'c/o6'), randomBytes(20_000));
      clock += 1000;
      const d2 = await saveCache(ctx, opts('k'));
      expect(d2.outcome).toBe('delta');
      // The second delta carries both changed files: it never points into the first delta.
      expect(d2.uploadedBytes).toBeGreaterThan(d1.uploadedBytes * 1.5);
      const { result, digest: got } = await restore('k');
      expect(got).toBe(await digest(join(ws, 'c')));
      expect(result.deltaBytes).toBe(d2.uploadedBytes);
    },
  );

  it.skipIf(skip)('falls back to the base when the delta pack expired: older, still verified', async () => {
    const before = await restore('k');
    const deltas = (await packsOf('k')).sort((a, b) => (a.key < b.key ? -1 : 1)).slice(1);
    expect(deltas.length).toBe(2);
    await fx.store.deleteObjects(deltas.map((o) => ({ key: o.key })));
    const after = await restore('k');
    expect(after.result.cacheHit).toBe(true);
    expect(after.result.deltaBytes).toBe(0);
    expect(after.digest).not.toBe(before.digest);
  });

  it.skipIf(skip)('rebases when the delta outgrows the base or the base nears lifecycle expiry', async () => {
    await saveCache(ctx, opts('r', { rebaseRatio: 0.1 }));
    for (let i = 0; i < 30; i++) await fs.writeFile(join(ws, 'c', `o${i}`), randomBytes(20_000));
    clock += 1000;
    expect((await saveCache(ctx, opts('r', { rebaseRatio: 0.1 }))).outcome).toBe('delta');
    await fs.writeFile(join(ws, 'c/o100'), randomBytes(20_000));
    clock += 1000;
    const rebased = await saveCache(ctx, opts('r', { rebaseRatio: 0.1 }));
    expect(rebased.outcome).toBe('rebased');
    const packs = await packsOf('r');
    expect(packs).toHaveLength(3);
    const { result, digest: got } = await restore('r');
    expect(got).toBe(await digest(join(ws, 'c')));
    expect(result.deltaBytes).toBe(0);

    // 29 days later (base max age 30): the next save writes a new base rather than a delta.
    clock += 29 * DAY;
    await fs.writeFile(join(ws, 'c/o101'), randomBytes(20_000));
    expect((await saveCache(ctx, opts('r', { baseMaxAgeDays: 30 }))).outcome).toBe('rebased');
    const manifests = (await collect(fx.store.list('acme/deltas/'))).filter(
      (o) => o.key.includes('/r/updates/') || o.key.endsWith('/r/manifest.json'),
    );
    const newest = manifests.sort((a, b) => (a.key < b.key ? 1 : -1))[0];
    const manifest = parseManifest(await fx.store.getObject(newest?.key ?? ''));
    expect(manifest.packs.map((p) => p.type)).toEqual(['base']);
    expect(Date.parse(manifest.packs[0]?.createdAt ?? '')).toBe(clock);
  });

  it.skipIf(skip)('a partial match saves a full, self-contained base for the new key', async () => {
    const { result } = await restore('k-new', ['k']);
    expect(result.matchedKey).toBe('k');
    const saved = await saveCache(ctx, opts('k-new'));
    expect(saved.outcome).toBe('saved');
    expect(saved.reusedChunks).toBe(0);
    const manifest = (await collect(fx.store.list('acme/deltas/'))).find((o) =>
      o.key.endsWith('/k-new/manifest.json'),
    );
    expect(parseManifest(await fx.store.getObject(manifest?.key ?? '')).packs.map((p) => p.type)).toEqual([
      'base',
    ]);
  });

  it.skipIf(skip)('concurrent delta saves never collide; the newest wins on restore', async () => {
    expect((await saveCache(ctx, opts('c2'))).outcome).toBe('saved');
    await fs.writeFile(join(ws, 'c/o150'), randomBytes(20_000));
    const results = await Promise.all([0, 1, 2].map(() => saveCache(ctx, opts('c2'))));
    expect(results.map((r) => r.outcome)).toEqual(['delta', 'delta', 'delta']);
    const updates = (await collect(fx.store.list('acme/deltas/'))).filter((o) =>
      o.key.includes('/c2/updates/'),
    );
    expect(updates).toHaveLength(3);
    const { digest: got } = await restore('c2');
    expect(got).toBe(await digest(join(ws, 'c')));
  });
});
