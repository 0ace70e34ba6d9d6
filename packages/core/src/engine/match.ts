import { ManifestError, ObjectMissingError } from '../errors.js';
import { type Manifest, parseManifest } from '../format/manifest.js';
import { MANIFEST_NAME } from '../layout/layout.js';
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

/**
 * A manifest belongs where its own (repository, scope, version, key) puts it. One found anywhere
 * else (copied or planted in another entry's directory) is ignored rather than restored.
 */
function belongsAt(ctx: CacheContext, manifest: Manifest, entryDir: string): boolean {
  try {
    const { layout } = resolved(ctx);
    const own = layout.entryDir({
      repository: manifest.repository,
      scope: manifest.scope,
      version: manifest.version,
      key: manifest.key,
    });
    return own === entryDir;
  } catch {
    return false;
  }
}

/**
 * Reads a manifest only if a listing shows it. A role whose ListBucket is scoped by prefix gets
 * 403, not 404, for a GET of a missing key; listing first keeps "not there" a clean miss.
 */
export async function readListedManifest(ctx: CacheContext, key: string): Promise<Manifest | undefined> {
  const listed = await collect(ctx.store.list(key));
  return listed.some((o) => o.key === key) ? readManifest(ctx, key) : undefined;
}

/**
 * The entry with exactly `key`, else the newest entry whose key starts with `key`: one prefix
 * listing serves both, since an exact match is also a prefix match.
 */
async function matchKey(
  ctx: CacheContext,
  q: MatchQuery,
  scope: Scope,
  key: string,
): Promise<(Omit<EntryMatch, 'how'> & { exact: boolean }) | undefined> {
  const { layout } = resolved(ctx);
  const versionDir = layout.versionDir(q.repository, scope, q.version);
  const exactDir = layout.entryDir({ repository: q.repository, scope, version: q.version, key });
  const { listPrefix } = layout.keyPrefixSearch(versionDir, key);
  const candidates: ObjectInfo[] = [];
  let exactListed = false;
  for (const object of await collect(ctx.store.list(listPrefix))) {
    const parsed = layout.parse(object.key);
    if (parsed.role !== 'manifest') continue;
    if (parsed.entryDir === exactDir) exactListed = true;
    // Spelled-out keys are filtered here; hash-truncated ones after reading their manifest.
    if (parsed.key !== undefined && !parsed.key.startsWith(key)) continue;
    candidates.push(object);
  }
  if (exactListed) {
    const base = await readManifest(ctx, layout.manifestKey(exactDir));
    // A hash-truncated directory could in theory hold another key: the manifest is the authority.
    if (base && base.key === key && belongsAt(ctx, base, exactDir)) {
      return { scope, key, entryDir: exactDir, base, exact: true };
    }
  }
  const newest = await newestOf(ctx, q, candidates, key);
  if (!newest) return undefined;
  const entryDir = newest.objectKey.slice(0, -MANIFEST_NAME.length);
  return { scope, key: newest.manifest.key, entryDir, base: newest.manifest, exact: false };
}

async function newestOf(
  ctx: CacheContext,
  q: MatchQuery,
  candidates: ObjectInfo[],
  keyPrefix: string,
): Promise<{ manifest: Manifest; objectKey: string } | undefined> {
  candidates.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
  let best: { manifest: Manifest; objectKey: string } | undefined;
  for (let i = 0; i < candidates.length; i += READ_BATCH) {
    const batch = candidates.slice(i, i + READ_BATCH);
    const head = batch[0] as ObjectInfo;
    if (best && head.lastModified.getTime() < Date.parse(best.manifest.createdAt) - CLOCK_SKEW_MS) break;
    const manifests = await Promise.all(batch.map((c) => readManifest(ctx, c.key)));
    for (const [j, manifest] of manifests.entries()) {
      const objectKey = (batch[j] as ObjectInfo).key;
      if (!manifest?.key.startsWith(keyPrefix) || manifest.version !== q.version) continue;
      if (!belongsAt(ctx, manifest, objectKey.slice(0, -MANIFEST_NAME.length))) {
        resolved(ctx).log.warn(`Ignoring ${objectKey}: its manifest names another entry (${manifest.key}).`);
        continue;
      }
      if (!best || manifest.createdAt > best.manifest.createdAt) {
        best = { manifest, objectKey };
      }
    }
  }
  return best;
}

/**
 * actions/cache matching: for each scope in order — the exact primary key; the newest entry
 * whose key starts with the primary key; then each restore key, exact and then newest prefix.
 */
export async function findEntry(ctx: CacheContext, q: MatchQuery): Promise<EntryMatch | undefined> {
  for (const scope of q.scopes) {
    const primary = await matchKey(ctx, q, scope, q.primaryKey);
    if (primary) {
      const { exact, ...match } = primary;
      return { ...match, how: exact ? 'exact' : 'prefix' };
    }
    for (const restoreKey of q.restoreKeys) {
      const found = await matchKey(ctx, q, scope, restoreKey);
      if (found) {
        const { exact, ...match } = found;
        return { ...match, how: exact ? 'restore-key' : 'restore-key-prefix' };
      }
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
    if (manifest?.kind !== 'update' || !belongsAt(ctx, manifest, match.entryDir)) continue;
    // An update older than the entry root is left over from an earlier life of this key (deleted
    // and saved again): it must not shadow the new root.
    if (manifest.createdAt < match.base.createdAt) continue;
    const generation = complete(manifest, update.key);
    if (generation) return generation;
  }
  return complete(match.base, layout.manifestKey(match.entryDir));
}
