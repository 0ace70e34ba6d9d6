import { Layout, type MultipartUploadInfo, type ObjectInfo } from '@s3cache/core';
import {
  buildInventory,
  type GenerationContent,
  type Inventory,
  type Plan,
  type PlannedObject,
  type PolicyInput,
  parsePolicy,
  withGenerationContents,
} from '../../src/index.js';

export const layout = new Layout();
export const VERSION = 'a'.repeat(64);
export const NOW = Date.parse('2026-06-01T12:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const ago = (ms: number): number => NOW - ms;

type ContentSpec = readonly string[] | 'invalid' | 'unknown' | 'unread';

export interface EntrySpec {
  repo?: string;
  scope?: string;
  key: string;
  /** Root manifest LastModified. */
  at: number;
  /** What the root references (default: the first pack, inferred when it is the only object). */
  rootPacks?: ContentSpec;
  packs?: { id: string; size?: number; at?: number }[];
  updates?: { name?: string; at: number; packs: ContentSpec; size?: number }[];
  /** Access marker LastModified. */
  marker?: number;
  /** No root manifest: an orphaned directory. */
  noRoot?: boolean;
  manifestSize?: number;
}

export function updateName(at: number, n = 1): string {
  return `${String(at).padStart(15, '0')}-${String(n).padStart(12, '0')}`;
}

export function keysOf(spec: EntrySpec) {
  const dir = layout.entryDir({
    repository: spec.repo ?? 'acme/app',
    scope: spec.scope ?? 'refs/heads/main',
    version: VERSION,
    key: spec.key,
  });
  return {
    dir,
    root: layout.manifestKey(dir),
    pack: (id: string) => layout.packKey(dir, id),
    update: (name: string) => layout.updateKey(dir, name),
    marker: layout.markerKeyForEntryDir(dir),
  };
}

const obj = (key: string, size: number, at: number): ObjectInfo => ({
  key,
  size,
  lastModified: new Date(at),
  etag: `"${key.length.toString(16)}-${at.toString(16)}"`,
});

function content(spec: ContentSpec): GenerationContent | undefined {
  if (spec === 'unread') return undefined;
  if (spec === 'invalid') return { status: 'invalid', reason: 'test: invalid' };
  if (spec === 'unknown') return { status: 'unknown', reason: 'test: unknown' };
  return { status: 'ok', packIds: spec };
}

export interface Fixture {
  objects: ObjectInfo[];
  contents: Map<string, GenerationContent>;
  uploads: MultipartUploadInfo[];
  inventory: Inventory;
}

/** Listing objects for hand-described entries, and the inventory with manifest contents filled in. */
export function fixture(
  specs: EntrySpec[],
  uploads: MultipartUploadInfo[] = [],
  extra: ObjectInfo[] = [],
): Fixture {
  const objects: ObjectInfo[] = [...extra];
  const contents = new Map<string, GenerationContent>();
  for (const spec of specs) {
    const k = keysOf(spec);
    const manifestSize = spec.manifestSize ?? 0;
    if (!spec.noRoot) {
      objects.push(obj(k.root, manifestSize, spec.at));
      const rootContent = content(spec.rootPacks ?? (spec.packs?.[0] ? [spec.packs[0].id] : []));
      if (rootContent) contents.set(k.root, rootContent);
    }
    for (const pack of spec.packs ?? [])
      objects.push(obj(k.pack(pack.id), pack.size ?? 1000, pack.at ?? spec.at));
    for (const [i, update] of (spec.updates ?? []).entries()) {
      const name = update.name ?? updateName(update.at, i + 1);
      objects.push(obj(k.update(name), update.size ?? manifestSize, update.at));
      const c = content(update.packs);
      if (c) contents.set(k.update(name), c);
    }
    if (spec.marker !== undefined) objects.push(obj(k.marker, 0, spec.marker));
  }
  const inventory = withGenerationContents(buildInventory(layout, objects, uploads), contents);
  return { objects, contents, uploads, inventory };
}

export const policy = (input: PolicyInput = {}) => parsePolicy(input);

/** Every key the plan deletes (guards included), with its reason. */
export function deletions(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of plan.items) {
    if (item.guard) out.set(item.guard.key, item.reason);
    for (const o of item.objects) out.set(o.key, item.reason);
  }
  return out;
}

export function deletedKeys(plan: Plan): string[] {
  return [...deletions(plan).keys()].sort();
}

export function roles(objects: readonly PlannedObject[]): string[] {
  return objects.map((o) => o.role);
}

/** Puts a fixture's objects into a MemoryStore (same times; real ETags) and inventories the store. */
export async function seedMemory(
  store: {
    put(key: string, body: string, at?: Date): unknown;
    list(prefix: string): AsyncIterable<ObjectInfo>;
  },
  f: Fixture,
): Promise<Inventory> {
  for (const o of f.objects) store.put(o.key, 'x'.repeat(o.size), o.lastModified);
  const listed: ObjectInfo[] = [];
  for await (const o of store.list('')) listed.push(o);
  return withGenerationContents(buildInventory(layout, listed, f.uploads), f.contents);
}
