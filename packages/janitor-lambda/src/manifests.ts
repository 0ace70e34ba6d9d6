import {
  FORMAT,
  type Layout,
  ManifestError,
  ObjectMissingError,
  parseManifest,
  type Store,
} from '@s3cache/core';
import { mapConcurrent } from './concurrency.js';
import type { Entry, GenerationContent, Inventory } from './inventory.js';
import { fillEntry, withGenerationContents } from './inventory.js';
import { type JanitorLogger, silentJanitorLogger } from './log.js';
import { generationToRead } from './planner.js';

export interface ReadManifestsOptions {
  store: Store;
  layout: Layout;
  /**
   * The planner's grace cutoff (epoch ms): manifests are then read newest first and only until
   * the planner can decide (see generationToRead). Without it, every generation is read.
   */
  graceCutoff?: number;
  /** GETs in flight (default 32): manifests are small, latency dominates. */
  concurrency?: number;
  log?: JanitorLogger;
  signal?: AbortSignal;
}

export interface ReadManifestsResult {
  inventory: Inventory;
  read: number;
  /** Manifests that could not be read now (left `unknown`: nothing is judged from them). */
  failed: number;
}

/**
 * Fetches the manifests the planner needs and records which packs each generation references.
 * Judged exactly as restore judges them (same parser, same key and version checks), so the
 * janitor never collects what a restore would still use. Reads of one entry are sequential
 * (each decides whether the next is needed); entries are read concurrently.
 */
export async function readManifests(
  inventory: Inventory,
  options: ReadManifestsOptions,
): Promise<ReadManifestsResult> {
  const log = options.log ?? silentJanitorLogger;
  const cutoff = options.graceCutoff ?? Number.NEGATIVE_INFINITY;
  const pending = inventory.entries.filter((entry) => generationToRead(entry, cutoff) !== undefined);
  if (pending.length === 0) return { inventory, read: 0, failed: 0 };
  const contents = new Map<string, GenerationContent>();
  let read = 0;
  let failed = 0;
  await mapConcurrent(pending, options.concurrency ?? 32, async (entry) => {
    let current = entry;
    for (let next = generationToRead(current, cutoff); next; next = generationToRead(current, cutoff)) {
      options.signal?.throwIfAborted();
      const key = next.object.key;
      const content = await readGeneration(options, current, key);
      read++;
      if (content.status === 'unknown') {
        failed++;
        log.warn('manifest not readable; its entry is not judged this run', { key, reason: content.reason });
      }
      contents.set(key, content);
      current = fillEntry(current, new Map([[key, content]]));
    }
  });
  return { inventory: withGenerationContents(inventory, contents), read, failed };
}

async function readGeneration(
  options: ReadManifestsOptions,
  entry: Entry,
  key: string,
): Promise<GenerationContent> {
  let bytes: Buffer;
  try {
    bytes = await options.store.getObject(key, options.signal);
  } catch (err) {
    // Gone since the listing (another janitor run, a concurrent delete): restore cannot use it.
    if (err instanceof ObjectMissingError) return { status: 'invalid', reason: 'deleted since the listing' };
    return { status: 'unknown', reason: err instanceof Error ? err.message : String(err) };
  }
  return judgeManifest(bytes, key, entry, options.layout);
}

/**
 * Pure: what restore would make of these manifest bytes for this entry. A manifest of a format
 * this janitor does not know is `unknown`, never `invalid`: a newer writer's entries must not be
 * collected by an older janitor.
 */
export function judgeManifest(bytes: Buffer, key: string, entry: Entry, layout: Layout): GenerationContent {
  const format = peekFormat(bytes);
  if (format !== undefined && format !== FORMAT) {
    return { status: 'unknown', reason: `manifest format "${format}" is not understood by this janitor` };
  }
  try {
    const manifest = parseManifest(bytes, key);
    if (manifest.version !== entry.version) {
      return { status: 'invalid', reason: `manifest is for version ${manifest.version}` };
    }
    // The directory must be the one the manifest's own identity maps to (restore looks it up so).
    const dir = layout.entryDir({
      repository: manifest.repository,
      scope: manifest.scope,
      version: manifest.version,
      key: manifest.key,
    });
    if (dir !== entry.entryDir) return { status: 'invalid', reason: `manifest belongs to ${dir}` };
    return { status: 'ok', packIds: manifest.packs.map((p) => p.id) };
  } catch (err) {
    if (err instanceof ManifestError) return { status: 'invalid', reason: err.message };
    // layout.entryDir rejects identities that cannot exist (bad repository, scope or version).
    return { status: 'invalid', reason: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The format field without parsing a possibly large manifest twice: writers put it first. When
 * it is not found there, parseManifest decides.
 */
function peekFormat(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 256).toString('utf8');
  return /^\s*\{\s*"format"\s*:\s*"([^"\\]*)"/.exec(head)?.[1];
}
