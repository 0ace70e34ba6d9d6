import { performance } from 'node:perf_hooks';
import { ObjectMissingError, TimeoutError } from '../errors.js';
import { chunkOf, storedBytes } from '../format/manifest.js';
import { isExactKeyMatch, validateKeys } from '../layout/keys.js';
import { resolveCacheRoots } from '../paths/resolve.js';
import { extractTar } from '../tar/extract.js';
import { readChunks } from '../transfer/pack-reader.js';
import { type CacheContext, resolved } from './context.js';
import { currentGeneration, type EntryMatch, findEntry, type Generation, type MatchQuery } from './match.js';

export interface RestoreOptions extends MatchQuery {
  /** Path patterns as the user wrote them: they bound where extraction may write. */
  paths: readonly string[];
  workspace: string;
  home?: string;
  /** Find the entry and check it is complete, but download nothing. */
  lookupOnly?: boolean;
  /** Overall deadline, lookup and download (actions/cache: SEGMENT_DOWNLOAD_TIMEOUT_MINS). */
  timeoutMs?: number;
  /** Ranged GETs in flight. */
  concurrency?: number;
  onProgress?: (downloadedBytes: number, rawBytes: number, totalDownloadBytes: number) => void;
}

export interface RestoreResult {
  /** The matched entry's key, or undefined on a miss. */
  matchedKey: string | undefined;
  /** True only for an exact (case-insensitive) match of the primary key. */
  cacheHit: boolean;
  match: Pick<EntryMatch, 'scope' | 'how'> | undefined;
  /** Generation restored (the entry root or a newer update). */
  generation: string | undefined;
  downloadedBytes: number;
  /** Of which from delta packs. */
  deltaBytes: number;
  rawBytes: number;
  /** Time to find the entry and its newest complete generation. */
  lookupSeconds: number;
  /** Total, lookup included. */
  seconds: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} exceeded ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function restoreCache(ctx: CacheContext, opts: RestoreOptions): Promise<RestoreResult> {
  validateKeys(opts.primaryKey, opts.restoreKeys);
  const started = performance.now();
  const miss: RestoreResult = {
    matchedKey: undefined,
    cacheHit: false,
    match: undefined,
    generation: undefined,
    downloadedBytes: 0,
    deltaBytes: 0,
    rawBytes: 0,
    lookupSeconds: 0,
    seconds: 0,
  };
  // The lookup is a handful of small requests, but a stalled server could hold each one for the
  // client's idle timeout times its attempts: the overall deadline covers it as well.
  // The message names the whole deadline (what the user configured), not what the lookup left.
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const lookup = await withDeadline(
    (async () => {
      const match = await findEntry(ctx, opts);
      return match ? { match, generation: await currentGeneration(ctx, match) } : undefined;
    })(),
    timeoutMs,
    'cache lookup',
  );
  const lookupSeconds = (performance.now() - started) / 1000;
  if (!lookup) return { ...miss, lookupSeconds, seconds: lookupSeconds };
  const { match, generation } = lookup;
  if (!generation) {
    throw new ObjectMissingError(`${match.entryDir} (every generation has lost a pack)`);
  }
  const result: RestoreResult = {
    matchedKey: match.key,
    cacheHit: isExactKeyMatch(opts.primaryKey, match.key),
    match: { scope: match.scope, how: match.how },
    generation: generation.manifest.id,
    downloadedBytes: storedBytes(generation.manifest),
    deltaBytes: storedBytes(generation.manifest, 'delta-archive'),
    rawBytes: generation.manifest.rawBytes,
    lookupSeconds,
    seconds: lookupSeconds,
  };
  if (opts.lookupOnly) return result;

  await download(ctx, generation, opts, Math.max(1, timeoutMs - lookupSeconds * 1000));
  await touch(ctx, match);
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

async function download(
  ctx: CacheContext,
  generation: Generation,
  opts: RestoreOptions,
  remainingMs: number,
): Promise<void> {
  const c = resolved(ctx);
  const total = storedBytes(generation.manifest);
  const controller = new AbortController();
  // Armed with what the lookup left of the deadline; the message names the configured deadline.
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`download exceeded ${timeoutMs / 1000} s`)),
    remainingMs,
  );
  try {
    const source = readChunks({
      store: c.store,
      codec: c.codec,
      chunks: generation.manifest.chunks.map(chunkOf),
      packKeys: generation.packKeys,
      signal: controller.signal,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      ...(opts.onProgress
        ? { onProgress: (downloaded: number, raw: number) => opts.onProgress?.(downloaded, raw, total) }
        : {}),
    });
    const roots = resolveCacheRoots([...opts.paths], {
      workspace: opts.workspace,
      ...(opts.home ? { home: opts.home } : {}),
    });
    await extractTar(source, { workspace: opts.workspace, roots, onWarning: (m) => c.log.warn(m) });
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Rewrites the entry's access marker: its LastModified is the entry's last use for the janitor. */
async function touch(ctx: CacheContext, match: EntryMatch): Promise<void> {
  const c = resolved(ctx);
  const body = Buffer.from(`${JSON.stringify({ key: match.key, at: c.now().toISOString() })}\n`);
  try {
    await c.store.putObject(c.layout.markerKeyForEntryDir(match.entryDir), body, {
      tags: { type: 'access-marker' },
      contentType: 'application/json',
    });
  } catch (err) {
    c.log.warn(
      `Could not record the cache access (the janitor may evict this entry early): ${(err as Error).message}`,
    );
  }
}
