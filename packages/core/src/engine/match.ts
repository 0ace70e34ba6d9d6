import { ManifestError, ObjectMissingError } from '../errors.js';
import { type Manifest, parseManifest } from '../format/manifest.js';
import type { Scope } from '../layout/scope.js';
import { collect, type ObjectInfo } from '../store/store.js';
import { type CacheContext, resolved } from './context.js';

export interface MatchQuery {
  repository: string;
  /** Scopes in the order they are searched (see readScopes). */
  scopes: readonly Scope[];
  version: string;
  primaryKey: string;
  restoreKeys: readonly string[];
}

export interface EntryMatch {
  scope: Scope;
  key: string;
  entryDir: string;
  /** The entry root (generation 0). */
  base: Manifest;
  /** How the key matched: `exact` only for the primary key itself. */
  how: 'exact' | 'prefix' | 'restore-key' | 'restore-key-prefix';
}

/**
 * Manifests are immutable, so LastModified is their server-side creation time; the manifest's
 * own createdAt (client clock) decides "newest". Candidates are read newest-LastModified first
 * and reading stops once no remaining one could be newer, allowing this much clock skew.
 */
const CLOCK_SKEW_MS = 10 * 60 * 1000;
const READ_BATCH = 8;

async function readManifest(ctx: CacheContext, key: string): Promise<Manifest | undefined> {
  const { store, log } = resolved(ctx);
  try {
    return parseManifest(await store.getObject(key), key);
  } catch (err) {
    if (err instanceof ObjectMissingError) return undefined;
    if (err instanceof ManifestError) {
      log.warn(`Ignoring unreadable manifest ${key}: ${err.message}`);
      return undefined;
    }
    throw err;
  }
}

async function exact(
  ctx: CacheContext,
  q: MatchQuery,
  scope: Scope,
  key: string,
): Promise<EntryMatch | undefined> {
  const { layout } = resolved(ctx);
  const entryDir = layout.entryDir({ repository: q.repository, scope, version: q.version, key });
  const base = await readManifest(ctx, layout.manifestKey(entryDir));
  // A hash-truncated directory could in theory hold another key: the manifest is the authority.
  if (!base || base.key !== key || base.version !== q.version) return undefined;
  return { scope, key, entryDir, base, how: 'exact' };
}

async function newestWithPrefix(
  ctx: CacheContext,
  q: MatchQuery,
  scope: Scope,
  keyPrefix: string,
): Promise<Omit<EntryMatch, 'how'> | undefined> {
  const { layout } = resolved(ctx);
  const versionDir = layout.versionDir(q.repository, scope, q.version);
  const { listPrefix } = layout.keyPrefixSearch(versionDir, keyPrefix);
  const candidates: ObjectInfo[] = [];
  for (const object of await collect(ctx.store.list(listPrefix))) {
    const parsed = layout.parse(object.key);
    if (parsed.role !== 'manifest') continue;
    // Spelled-out keys are filtered here; hash-truncated ones after reading their manifest.
    if (parsed.key !== undefined && !parsed.key.startsWith(keyPrefix)) continue;
    candidates.push(object);
  }
  candidates.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
  let best: { manifest: Manifest; key: string } | undefined;
  for (let i = 0; i < candidates.length; i += READ_BATCH) {
    const batch = candidates.slice(i, i + READ_BATCH);
    const head = batch[0] as ObjectInfo;
    if (best && head.lastModified.getTime() < Date.parse(best.manifest.createdAt) - CLOCK_SKEW_MS) break;
    const manifests = await Promise.all(batch.map((c) => readManifest(ctx, c.key)));
    for (const [j, manifest] of manifests.entries()) {
      if (!manifest?.key.startsWith(keyPrefix) || manifest.version !== q.version) continue;
      if (!best || manifest.createdAt > best.manifest.createdAt)
        best = { manifest, key: (batch[j] as ObjectInfo).key };
    }
  }
  if (!best) return undefined;
  const entryDir = best.key.slice(0, -'manifest.json'.length);
  return { scope, key: best.manifest.key, entryDir, base: best.manifest };
}

/**
 * actions/cache matching: for each scope in order — the exact primary key; the newest entry
 * whose key starts with the primary key; then each restore key, exact and then newest prefix.
 */
export async function findEntry(ctx: CacheContext, q: MatchQuery): Promise<EntryMatch | undefined> {
  for (const scope of q.scopes) {
    const hit = await exact(ctx, q, scope, q.primaryKey);
    if (hit) return hit;
    const prefix = await newestWithPrefix(ctx, q, scope, q.primaryKey);
    if (prefix) return { ...prefix, how: 'prefix' };
    for (const restoreKey of q.restoreKeys) {
      const restoreExact = await exact(ctx, q, scope, restoreKey);
      if (restoreExact) return { ...restoreExact, how: 'restore-key' };
      const restorePrefix = await newestWithPrefix(ctx, q, scope, restoreKey);
      if (restorePrefix) return { ...restorePrefix, how: 'restore-key-prefix' };
    }
  }
  return undefined;
}

export interface Generation {
  manifest: Manifest;
  /** Object key of the manifest (the entry root or an update). */
  manifestKey: string;
  packKeys: string[];
}

/**
 * The newest generation of an entry whose packs all still exist (a delta may have expired, or
 * a superseded base been collected): falls back to older generations, down to the root.
 */
export async function currentGeneration(
  ctx: CacheContext,
  match: EntryMatch,
): Promise<Generation | undefined> {
  const { layout, store, log } = resolved(ctx);
  const objects = await collect(store.list(match.entryDir));
  const present = new Set(objects.map((o) => o.key));
  const updates = objects
    .map((o) => ({ key: o.key, parsed: layout.parse(o.key) }))
    .filter((o) => o.parsed.role === 'update' && o.parsed.entryDir === match.entryDir)
    .sort((a, b) => ((a.parsed.name ?? '') < (b.parsed.name ?? '') ? 1 : -1));
  const complete = (manifest: Manifest, manifestKey: string): Generation | undefined => {
    const packKeys = manifest.packs.map((p) => layout.packKey(match.entryDir, p.id));
    const missing = packKeys.filter((k) => !present.has(k));
    if (missing.length > 0) {
      log.debug(`Generation ${manifest.id} of ${match.key} is incomplete (missing ${missing.join(', ')})`);
      return undefined;
    }
    return { manifest, manifestKey, packKeys };
  };
  for (const update of updates) {
    const manifest = await readManifest(ctx, update.key);
    if (!manifest || manifest.key !== match.key || manifest.version !== match.base.version) continue;
    const generation = complete(manifest, update.key);
    if (generation) return generation;
  }
  return complete(match.base, layout.manifestKey(match.entryDir));
}
