import { performance } from 'node:perf_hooks';
import { AlreadyExistsError } from '../errors.js';
import { ARCHIVE_CHUNKING, type ChunkerOptions, DEFAULT_CHUNKING } from '../format/chunker.js';
import { FORMAT, type Manifest, type PackRef, serializeManifest } from '../format/manifest.js';
import { validateKey } from '../layout/keys.js';
import type { Scope } from '../layout/scope.js';
import { resolveCachePaths } from '../paths/resolve.js';
import { type Archiving, startArchiving } from '../transfer/archive-chunks.js';
import { type ReusableChunk, type WritePackResult, writePack } from '../transfer/pack-writer.js';
import { type CacheContext, resolved } from './context.js';
import { newId } from './ids.js';
import { currentGeneration, type Generation, readListedManifest } from './match.js';

export interface SaveOptions {
  repository: string;
  /** The scope written to: the run's own ref. */
  scope: Scope;
  version: string;
  key: string;
  /** Path patterns as the user wrote them. */
  paths: readonly string[];
  workspace: string;
  home?: string;
  /** When the key exists, upload only the chunks it lacks (default true). */
  useDeltas?: boolean;
  /**
   * Chunk sizes. Default: small, tar-aligned chunks when deltas are on (DEFAULT_CHUNKING), large
   * ones otherwise (ARCHIVE_CHUNKING). A key's later saves must use what its base used.
   */
  chunking?: ChunkerOptions;
  /** Rebase once the newest delta holds more than this fraction of the base's bytes. */
  rebaseRatio?: number;
  /** Lifecycle age (days) at which base packs expire; saves rebase before a base gets close. */
  baseMaxAgeDays?: number;
  level?: number;
  concurrency?: number;
  partSize?: number;
  queueSize?: number;
  onProgress?: (rawBytes: number, uploadedBytes: number) => void;
  signal?: AbortSignal;
}

export type SaveOutcome = 'saved' | 'delta' | 'rebased' | 'unchanged' | 'exists' | 'empty';

export interface SaveResult {
  outcome: SaveOutcome;
  key: string;
  /** Size of the tar stream. */
  rawBytes: number;
  /** Bytes uploaded by this save. */
  uploadedBytes: number;
  /** Compressed size of the whole entry as restored. */
  entryBytes: number;
  items: number;
  reusedChunks: number;
  totalChunks: number;
  seconds: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rebase this long before lifecycle would expire a base pack that a hot key still uses. */
const REBASE_MARGIN_DAYS = 2;

/**
 * Saves the paths under `key`. First write wins: an existing entry is never overwritten; with
 * deltas it gains a newer generation instead. Nothing is visible until its manifest is written.
 */
export async function saveCache(ctx: CacheContext, opts: SaveOptions): Promise<SaveResult> {
  validateKey(opts.key);
  const c = resolved(ctx);
  const chunking = opts.chunking ?? ((opts.useDeltas ?? true) ? DEFAULT_CHUNKING : ARCHIVE_CHUNKING);
  let inWorker = ctx.worker !== undefined;
  // Started first, so that the worker loads while the paths resolve and the entry is looked up.
  const archiving = startArchiving({
    worker: ctx.worker,
    chunking,
    onWarning: (message) => c.log.warn(message),
    onFallback: (why) => {
      inWorker = false;
      c.log.debug(`Archiving on the main thread: the worker did not start (${why}).`);
    },
  });
  try {
    const saved = await saveWith(ctx, opts, archiving);
    if (saved.outcome !== 'empty' && saved.outcome !== 'exists')
      c.log.debug(`Archived ${inWorker ? 'on a worker thread' : 'on the main thread'}.`);
    return saved;
  } finally {
    await archiving.close();
  }
}

async function saveWith(ctx: CacheContext, opts: SaveOptions, archiving: Archiving): Promise<SaveResult> {
  const c = resolved(ctx);
  const started = performance.now();
  const ref = { repository: opts.repository, scope: opts.scope, version: opts.version, key: opts.key };
  const entryDir = c.layout.entryDir(ref);
  const manifestKey = c.layout.manifestKey(entryDir);
  const result = (outcome: SaveOutcome, extra: Partial<SaveResult> = {}): SaveResult => ({
    outcome,
    key: opts.key,
    rawBytes: 0,
    uploadedBytes: 0,
    entryBytes: 0,
    items: 0,
    reusedChunks: 0,
    totalChunks: 0,
    seconds: (performance.now() - started) / 1000,
    ...extra,
  });

  // Looked up while the paths resolve. Resolution's errors (invalid input) come first; the
  // lookup's are seen only when it is awaited.
  const lookup = readListedManifest(ctx, manifestKey);
  lookup.catch(() => undefined);
  const resolvedPaths = await resolveCachePaths([...opts.paths], {
    workspace: opts.workspace,
    ...(opts.home ? { home: opts.home } : {}),
    onWarning: (m) => c.log.warn(m),
  });
  if (resolvedPaths.items.length === 0) return result('empty');

  const existing = await lookup;
  if (existing && !(opts.useDeltas ?? true)) {
    c.log.debug(`Cache entry ${opts.key} already exists; first write wins, not saving.`);
    return result('exists');
  }

  const now = c.now();
  const generation = existing
    ? await currentGeneration(ctx, {
        scope: opts.scope,
        key: opts.key,
        entryDir,
        base: existing,
        how: 'exact',
      })
    : undefined;
  const plan = existing ? planUpdate(generation, now, opts) : { reuse: undefined, rebase: false, why: '' };
  if (plan.why) c.log.info(plan.why);

  const packId = newId(now);
  const packType = existing && !plan.rebase ? 'delta-archive' : 'base';
  const packKey = c.layout.packKey(entryDir, packId);
  const chunks = archiving.chunks(resolvedPaths.items);
  const written = await writePack(chunks, {
    store: c.store,
    codec: c.codec,
    packKey,
    tags: { type: packType },
    ...pick(opts, ['level', 'concurrency', 'partSize', 'queueSize', 'signal']),
    ...(plan.reuse ? { reuse: plan.reuse.map } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });

  const oldPacks = plan.reuse?.packs ?? [];
  const manifest = buildManifest({
    kind: existing ? 'update' : 'base',
    id: packId,
    opts,
    now,
    written,
    oldPacks,
    newPack: { id: packId, type: packType, bytes: written.packBytes, createdAt: now.toISOString() },
    items: resolvedPaths.items.length,
    ...(generation ? { parent: generation.manifest.id } : {}),
  });
  const stats = {
    rawBytes: written.rawBytes,
    uploadedBytes: written.packBytes,
    entryBytes: manifest.chunks.reduce((sum, [, , , , length]) => sum + length, 0),
    items: resolvedPaths.items.length,
    reusedChunks: written.reusedChunks,
    totalChunks: written.chunks.length,
  };

  if (existing && generation && written.packBytes === 0 && sameContent(generation.manifest, manifest)) {
    return result('unchanged', stats);
  }
  const target = existing ? c.layout.updateKey(entryDir, packId) : manifestKey;
  try {
    await c.store.putObject(target, serializeManifest(manifest), {
      ifNoneMatch: true,
      tags: { type: 'manifest' },
      contentType: 'application/json',
    });
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      // Only a definite loss frees the pack: after an ambiguous failure the manifest may have
      // landed, and deleting the pack would break that entry. An orphan is the janitor's job.
      if (written.packBytes > 0) await c.store.deleteObjects([{ key: packKey }]).catch(() => undefined);
      c.log.debug(`Another job created cache entry ${opts.key} first; keeping theirs (first write wins).`);
      return result('exists');
    }
    throw err;
  }
  return result(existing ? (plan.rebase ? 'rebased' : 'delta') : 'saved', stats);
}

interface UpdatePlan {
  reuse: { map: Map<string, ReusableChunk>; packs: PackRef[] } | undefined;
  rebase: boolean;
  why: string;
}

/**
 * Which chunks a new generation may point at. Only base packs, never older deltas: every
 * generation is then the base plus one delta, so a delta expiring by lifecycle can never break
 * a newer one.
 */
function planUpdate(generation: Generation | undefined, now: Date, opts: SaveOptions): UpdatePlan {
  if (!generation)
    return { reuse: undefined, rebase: true, why: 'No complete generation left: writing a new base.' };
  const { manifest } = generation;
  const basePacks = manifest.packs.map((p, i) => ({ p, i })).filter(({ p }) => p.type === 'base');
  const baseBytes = basePacks.reduce((sum, { p }) => sum + p.bytes, 0);
  const deltaBytes = manifest.packs
    .filter((p) => p.type === 'delta-archive')
    .reduce((sum, p) => sum + p.bytes, 0);
  const oldest = Math.min(...basePacks.map(({ p }) => Date.parse(p.createdAt)));
  const maxAge = (opts.baseMaxAgeDays ?? 30) - REBASE_MARGIN_DAYS;
  if (basePacks.length === 0)
    return { reuse: undefined, rebase: true, why: 'Writing a new base generation.' };
  if (now.getTime() - oldest > maxAge * DAY_MS) {
    return {
      reuse: undefined,
      rebase: true,
      why: `Base is over ${maxAge} days old: writing a new base generation.`,
    };
  }
  const ratio = opts.rebaseRatio ?? 0.5;
  if (deltaBytes > ratio * baseBytes) {
    return {
      reuse: undefined,
      rebase: true,
      why: `Delta (${deltaBytes} B) exceeds ${ratio * 100}% of the base (${baseBytes} B): writing a new base generation.`,
    };
  }
  const map = new Map<string, ReusableChunk>();
  const packs: PackRef[] = [];
  const remap = new Map<number, number>();
  for (const { p, i } of basePacks) {
    remap.set(i, packs.length);
    packs.push(p);
  }
  for (const [hash, , pack, offset, length] of manifest.chunks) {
    const index = remap.get(pack);
    if (index !== undefined && !map.has(hash)) map.set(hash, { pack: index, offset, length });
  }
  return { reuse: { map, packs }, rebase: false, why: '' };
}

function buildManifest(args: {
  kind: Manifest['kind'];
  id: string;
  opts: SaveOptions;
  now: Date;
  written: WritePackResult;
  oldPacks: PackRef[];
  newPack: PackRef;
  items: number;
  parent?: string;
}): Manifest {
  const { written, oldPacks } = args;
  const packs = [...oldPacks];
  const newIndex = written.packBytes > 0 ? packs.push(args.newPack) - 1 : -1;
  return {
    format: FORMAT,
    kind: args.kind,
    id: args.id,
    repository: args.opts.repository.toLowerCase(),
    scope: args.opts.scope,
    version: args.opts.version,
    key: args.opts.key,
    createdAt: args.now.toISOString(),
    paths: [...args.opts.paths],
    compression: 'zstd',
    rawBytes: written.rawBytes,
    items: args.items,
    packs,
    chunks: written.chunks.map((c) => [c.hash, c.rawLength, c.pack ?? newIndex, c.offset, c.length]),
    ...(args.parent ? { parent: args.parent } : {}),
  };
}

function sameContent(a: Manifest, b: Manifest): boolean {
  return a.chunks.length === b.chunks.length && a.chunks.every((chunk, i) => chunk[0] === b.chunks[i]?.[0]);
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}
