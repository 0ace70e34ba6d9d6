// Shared fixtures of the fault, race and hostile-input suites: a throw-away bucket on the real
// S3 (the lab), a fault proxy in front of it, stores that talk through the proxy (small timeouts,
// so faults resolve quickly) or directly, deterministic source trees, and the audits every test
// ends with: "a complete entry or none" for saves, "verified content or nothing" for restores.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  createTestBucket,
  type FaultPlan,
  type FaultProxy,
  s3TestConfig,
  startFaultProxy,
  type TestBucket,
} from '@s3cache/testkit';
import { expect } from 'vitest';
import type { CacheContext } from '../../src/engine/context.js';
import { restoreCache } from '../../src/engine/restore.js';
import { parseManifest } from '../../src/format/manifest.js';
import { Layout } from '../../src/layout/layout.js';
import { S3Store } from '../../src/store/s3-store.js';
import { collect, type Store } from '../../src/store/store.js';
import { engineTestClient } from '../stores.js';

export const VERSION = 'c'.repeat(64);
export const REPOSITORY = 'acme/app';
export const MAIN = 'refs/heads/main';
export const PULL = 'refs/pull/7/merge';

/** Knobs that keep faults quick: short per-request timeouts, few attempts. */
export interface ClientKnobs {
  idleTimeoutMs?: number;
  connectionTimeoutMs?: number;
  maxAttempts?: number;
  readAttempts?: number;
}

export const QUICK: Required<ClientKnobs> = {
  idleTimeoutMs: 2_000,
  connectionTimeoutMs: 2_000,
  maxAttempts: 4,
  readAttempts: 4,
};

export interface FaultLab {
  bucket: TestBucket;
  proxy: FaultProxy;
  layout: Layout;
  /** Talks to S3 directly: for setup and audits. */
  direct: Store;
  /** A store through the proxy; each call makes a fresh client (destroyed by `close`). */
  faulty(knobs?: ClientKnobs): Store;
  ctx(store: Store): CacheContext;
  close(): Promise<void>;
}

export async function startFaultLab(plan: FaultPlan = { rules: [] }, prefix = 'faults'): Promise<FaultLab> {
  const config = s3TestConfig();
  const bucket = await createTestBucket({ prefix: 's3cache-faults' });
  const proxy = await startFaultProxy({ target: config.endpoint, plan, maxLifetimeMs: 15 * 60_000 });
  const clients: S3Client[] = [];
  const layout = new Layout(prefix);
  return {
    bucket,
    proxy,
    layout,
    direct: new S3Store(bucket.client, { bucket: bucket.name }),
    faulty(knobs = QUICK) {
      const client = engineTestClient({
        endpoint: proxy.url,
        maxSockets: 16,
        ...(knobs.idleTimeoutMs !== undefined ? { idleTimeoutMs: knobs.idleTimeoutMs } : {}),
        ...(knobs.connectionTimeoutMs !== undefined
          ? { connectionTimeoutMs: knobs.connectionTimeoutMs }
          : {}),
        ...(knobs.maxAttempts !== undefined ? { maxAttempts: knobs.maxAttempts } : {}),
      });
      clients.push(client);
      return new S3Store(client, {
        bucket: bucket.name,
        ...(knobs.readAttempts !== undefined ? { readAttempts: knobs.readAttempts } : {}),
      });
    },
    ctx: (store) => ({ store, layout }),
    async close() {
      for (const client of clients) client.destroy();
      await proxy.close();
      await bucket.cleanup();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Trees

/** Deterministic pseudo-random bytes (xorshift), so a tree is reproducible from its seed. */
export function pseudoRandom(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * `<root>/cache/...`: `files` files of about `size` bytes (half random, half compressible), a
 * nested directory and a symlink inside the tree. Returns `root`.
 */
export async function makeTree(root: string, seed: number, files = 12, size = 64 * 1024): Promise<string> {
  await fs.mkdir(join(root, 'cache/sub/deeper'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = join(root, 'cache', i % 3 === 0 ? 'sub' : i % 3 === 1 ? 'sub/deeper' : '');
    const random = pseudoRandom(seed * 1000 + i, Math.floor(size / 2));
    const text = Buffer.from(`seed ${seed} file ${i}\n`.repeat(Math.ceil(size / 2 / 20))).subarray(
      0,
      size / 2,
    );
    await fs.writeFile(join(dir, `f${i}.bin`), Buffer.concat([random, text]));
  }
  await fs.symlink('sub/deeper', join(root, 'cache/link'));
  return root;
}

export async function tempDir(label: string): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), `s3cache-${label}-`));
}

/** relative path → `file <sha256>` / `link <target>` / `dir`, for every item below `root`. */
export async function digest(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join('/');
      if (entry.isSymbolicLink()) out[rel] = `link ${await fs.readlink(full)}`;
      else if (entry.isDirectory()) {
        out[rel] = 'dir';
        await walk(full);
      } else {
        out[rel] = `file ${createHash('sha256')
          .update(await fs.readFile(full))
          .digest('hex')}`;
      }
    }
  };
  await walk(root);
  return out;
}

/**
 * Nothing wrong on disk: every file and link under `target` exists, with the same content, in
 * one of `sources` (a failed restore may leave verified members of the archive, never others).
 */
export async function expectNoWrongBytes(target: string, ...sources: string[]): Promise<void> {
  const got = await digest(target);
  const wants = await Promise.all(sources.map((source) => digest(source)));
  for (const [path, what] of Object.entries(got)) {
    if (what === 'dir') continue;
    expect(
      wants.some((want) => want[path] === what),
      `unexpected or wrong item ${path} (${what}) after a failed restore`,
    ).toBe(true);
  }
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

export async function settle<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { ok: true, value, ms: performance.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - t0 };
  }
}

// ---------------------------------------------------------------------------------------------
// Audits

export type EntryState = { state: 'none'; objects: string[] } | { state: 'complete'; manifestKey: string };

/**
 * Lists the bucket directly and judges one entry: either no manifest (leftover packs are
 * allowed: the janitor sweeps them), or a manifest whose every generation's packs exist and
 * whose restore (direct, no faults) reproduces `source` exactly. Anything else fails the test.
 */
export async function auditEntry(
  lab: FaultLab,
  ref: { scope: string; key: string },
  source: string | readonly string[],
  paths: readonly string[] = ['cache'],
): Promise<EntryState> {
  const sources = typeof source === 'string' ? [source] : source;
  const entryDir = lab.layout.entryDir({ repository: REPOSITORY, version: VERSION, ...ref });
  const manifestKey = lab.layout.manifestKey(entryDir);
  const objects = (await collect(lab.direct.list(entryDir))).map((o) => o.key);
  if (!objects.includes(manifestKey)) return { state: 'none', objects };
  const manifest = parseManifest(await lab.direct.getObject(manifestKey), manifestKey);
  // With later generations the root's packs may be gone (superseded, collected by the janitor):
  // then only the restore below speaks for the entry.
  const generations = objects.filter((key) => key.startsWith(`${entryDir}updates/`));
  for (const pack of generations.length > 0 ? [] : manifest.packs) {
    expect(objects, `manifest ${manifestKey} names a missing pack`).toContain(
      lab.layout.packKey(entryDir, pack.id),
    );
    const head = await lab.direct.head(lab.layout.packKey(entryDir, pack.id));
    expect(head?.size, `pack ${pack.id} has the size its manifest says`).toBe(pack.bytes);
  }
  const target = await tempDir('audit');
  try {
    const restored = await restoreCache(lab.ctx(lab.direct), {
      repository: REPOSITORY,
      scopes: [ref.scope],
      version: VERSION,
      primaryKey: ref.key,
      restoreKeys: [],
      paths,
      workspace: target,
    });
    expect(restored.cacheHit, `a committed entry restores (${manifestKey})`).toBe(true);
    const got = JSON.stringify(await digest(join(target, 'cache')));
    const wants = await Promise.all(sources.map(async (s) => JSON.stringify(await digest(join(s, 'cache')))));
    expect(wants, 'the entry restores exactly one source tree').toContain(got);
  } finally {
    await fs.rm(target, { recursive: true, force: true });
  }
  return { state: 'complete', manifestKey };
}

/** With S3CACHE_FAULTS_VERBOSE=1, one line per scenario: what happened (for docs/reliability.md). */
export function report(
  name: string,
  outcome: { ok: true; value: unknown; ms: number } | { ok: false; error: unknown; ms: number },
  injected: number,
  bucket: string,
): void {
  if (process.env.S3CACHE_FAULTS_VERBOSE !== '1') return;
  const what = outcome.ok
    ? `ok ${JSON.stringify((outcome.value as { outcome?: unknown; cacheHit?: unknown })?.outcome ?? (outcome.value as { cacheHit?: unknown })?.cacheHit)}`
    : `${(outcome.error as Error).name}: ${(outcome.error as Error).message.slice(0, 160)}`;
  console.info(`FAULT | ${name} | ${what} | ${Math.round(outcome.ms)} ms | ${injected} injected | ${bucket}`);
}
