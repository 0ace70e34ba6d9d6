// Planner benchmark: a synthetic listing of OBJECTS objects (default 1,000,000) across many
// repositories -> inventory -> generation contents -> plan. Prints the time of each phase and
// the peak memory. Must fit a Lambda run comfortably: < 30 s and < 1.5 GB.
//
//   pnpm --filter @s3cache/janitor-lambda bench            (bundles, then runs with --expose-gc)
//   OBJECTS=2000000 node --expose-gc dist/bench/planner.mjs
import { performance } from 'node:perf_hooks';
import { Layout, type ObjectInfo } from '@s3cache/core';
import {
  createPlan,
  fillEntry,
  type GenerationContent,
  generationToRead,
  InventoryBuilder,
  manifestsToRead,
  parsePolicy,
  summarizePlan,
} from '../src/index.js';

const TARGET_OBJECTS = Number(process.env.OBJECTS ?? 1_000_000);
const OWNERS = 60;
const REPOS_PER_OWNER = 10;
const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const layout = new Layout('cache');

/** Deterministic pseudo-random numbers (mulberry32): the same listing every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const versions = Array.from({ length: 4 }, (_, i) => hex(i + 1, 1).repeat(64));
const scopes = ['refs/heads/main', 'refs/heads/develop', 'refs/heads/release%2F1.x', 'refs/tags/v1.2.3'];
const etag = () =>
  `"${hex(Math.floor(random() * 2 ** 32), 8)}${hex(Math.floor(random() * 2 ** 32), 8)}0000000000000000"`;
/**
 * Strings as an S3 listing delivers them: flat, each its own allocation (XML parsing), not the
 * rope of concatenations a template literal builds.
 */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
const object = (key: string, size: number, at: number): ObjectInfo => ({
  key: flat(key),
  size,
  lastModified: new Date(at),
  etag: flat(etag()),
});

interface Shape {
  updates: number;
  /** Manifest keys of entries with updates, with what each generation references. */
  contents: Map<string, GenerationContent>;
}

/**
 * Entries as saves leave them: most saved once (manifest, pack, marker); one in eight a hot key
 * with delta generations; pull-request scopes; a few orphans. Yields ~TARGET_OBJECTS objects.
 */
function* listing(shape: Shape): Generator<ObjectInfo> {
  let emitted = 0;
  let n = 0;
  while (emitted < TARGET_OBJECTS) {
    n++;
    const repository = `owner-${n % OWNERS}/repo-${Math.floor(n / OWNERS) % REPOS_PER_OWNER}`;
    const pr = random() < 0.25;
    const scope = pr ? `refs/pull/${1 + Math.floor(random() * 5000)}/merge` : pick(scopes);
    const key = `${pick(['Linux', 'macOS', 'Windows'])}-${pick(['node', 'cargo', 'gradle', 'pip', 'go'])}-${hex(n, 8)}-${hex(Math.floor(random() * 2 ** 32), 8)}`;
    const dir = layout.entryDir({ repository, scope, version: pick(versions), key });
    const saved = NOW - Math.floor(random() * 30 * DAY);
    const baseId = `${String(saved).padStart(15, '0')}-${hex(n, 12)}`;
    const baseSize = 1_000_000 + Math.floor(random() * 400_000_000);
    if (random() < 0.01) {
      // An orphan: a pack whose save never wrote its manifest.
      yield object(layout.packKey(dir, baseId), baseSize, saved);
      emitted++;
      continue;
    }
    yield object(layout.manifestKey(dir), 2_000 + Math.floor(random() * 60_000), saved);
    yield object(layout.packKey(dir, baseId), baseSize, saved);
    emitted += 2;
    if (random() < 0.125) {
      // A hot key: 1-3 delta generations after the root.
      const generations = 1 + Math.floor(random() * 3);
      const rootKey = layout.manifestKey(dir);
      shape.contents.set(rootKey, { status: 'ok', packIds: [baseId] });
      for (let g = 1; g <= generations; g++) {
        const at = Math.min(NOW - MINUTE, saved + g * Math.floor(random() * DAY));
        const id = `${String(at).padStart(15, '0')}-${hex(n * 8 + g, 12)}`;
        yield object(layout.updateKey(dir, id), 2_000 + Math.floor(random() * 60_000), at);
        yield object(layout.packKey(dir, id), 10_000 + Math.floor(random() * 20_000_000), at);
        shape.contents.set(layout.updateKey(dir, id), { status: 'ok', packIds: [baseId, id] });
        emitted += 2;
        shape.updates++;
      }
    }
    if (random() < 0.8) {
      yield object(
        layout.markerKeyForEntryDir(dir),
        80,
        Math.min(NOW, saved + Math.floor(random() * 10 * DAY)),
      );
      emitted++;
    }
  }
}

let peakHeap = 0;
let peakRss = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakRss = Math.max(peakRss, m.rss);
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

function time<T>(label: string, fn: () => T, rows: [string, string][]): T {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = fn();
  sample();
  const cpu = process.cpuUsage(c0);
  rows.push([
    label,
    `${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`,
  ]);
  settle(label);
  return out;
}

const rows: [string, string][] = [];
const heapAfter: [string, string][] = [];
const settle = (label: string) => {
  gc?.();
  heapAfter.push([label, mb(process.memoryUsage().heapUsed)]);
};
gc?.();
const baseline = process.memoryUsage();

// Generating the listing alone, to separate its cost (the SDK's, in production) from ours.
time(
  'generate listing only',
  () => {
    let count = 0;
    for (const _ of listing({ updates: 0, contents: new Map() })) count++;
    return count;
  },
  rows,
);
gc?.();

const shape: Shape = { updates: 0, contents: new Map() };
const builder = new InventoryBuilder(layout);
const raw = time(
  'generate + inventory',
  () => {
    let i = 0;
    for (const o of listing(shape)) {
      builder.add(o);
      if (++i % 50_000 === 0) sample();
    }
    return builder.finish();
  },
  rows,
);
const policy = parsePolicy({
  defaultRepositoryCapBytes: '200GiB',
  bucketCapBytes: '100TiB',
  maxIdleDays: 21,
  pullRequestIdleDays: 3,
});
// What readManifests does, minus the GETs: per entry, read newest first until the planner can
// decide; the synthetic contents stand in for the manifests' bytes.
const graceCutoff = NOW - policy.graceMinutes * MINUTE;
let reads = 0;
const inventory = time(
  'decide manifest reads',
  () => {
    const entries = raw.entries.map((entry) => {
      let current = entry;
      for (let g = generationToRead(current, graceCutoff); g; g = generationToRead(current, graceCutoff)) {
        const key = g.object.key;
        reads++;
        current = fillEntry(
          current,
          new Map([[key, shape.contents.get(key) ?? { status: 'invalid', reason: 'bench' }]]),
        );
      }
      return current;
    });
    return { ...raw, entries };
  },
  rows,
);
const allGenerations = manifestsToRead(raw).length;
const plan = time('createPlan', () => createPlan({ inventory, policy, now: NOW }), rows);
gc?.();
const retained = process.memoryUsage();
sample();

const summary = summarizePlan(plan);
const planned = plan.items.reduce((n, i) => n + i.objects.length + (i.guard ? 1 : 0), 0);
console.log(`Planner benchmark (Node ${process.version}, ${process.arch})`);
console.log(
  `listing: ${inventory.objects.toLocaleString('en')} objects, ${inventory.repositories.length} repositories, ` +
    `${inventory.entries.length.toLocaleString('en')} entries (${shape.updates.toLocaleString('en')} updates), ` +
    `${inventory.orphans.length.toLocaleString('en')} orphan dirs, ${(inventory.bytes / 1024 ** 4).toFixed(1)} TiB`,
);
console.log(
  `manifest GETs: ${reads.toLocaleString('en')} (newest first, stopping at the reference generation; reading every generation: ${allGenerations.toLocaleString('en')})`,
);
console.log(
  `plan: ${plan.items.length.toLocaleString('en')} items, ${planned.toLocaleString('en')} objects to delete; ` +
    Object.entries(summary)
      .filter(([, s]) => s.items > 0)
      .map(([reason, s]) => `${reason} ${s.items}`)
      .join(', '),
);
for (const [label, value] of rows) console.log(`  ${label.padEnd(24)} ${value}`);
if (gc) for (const [label, value] of heapAfter) console.log(`  heap after ${label.padEnd(24)} ${value}`);
console.log(`  ${'peak RSS'.padEnd(24)} ${mb(Math.max(peakRss, process.resourceUsage().maxRSS * 1024))}`);
console.log(`  ${'peak heap used'.padEnd(24)} ${mb(peakHeap)}`);
console.log(
  `  ${'heap retained after gc'.padEnd(24)} ${mb(retained.heapUsed - baseline.heapUsed)}${gc ? '' : ' (run with --expose-gc)'}`,
);
