import type { Entry, Generation, Inventory, OrphanDir, ScopeKind, StoredObject } from './inventory.js';
import { type JanitorPolicy, repositoryLimits } from './policy.js';

/**
 * The janitor's decisions, as a pure function of (inventory, policy, now): no I/O, no clock.
 *
 * Order (BuildKit-style ordered policies, garbage first so caps see what it frees):
 *   superseded / broken   per entry: what no restore can use any more
 *   orphan-pack / -marker objects of entries whose root manifest is gone
 *   pr-idle, idle         TTLs on last access
 *   repo-cap, bucket-cap  LRU eviction while over a cap, down to the low-water mark
 *   stale-upload          incomplete multipart uploads
 * Invariants: nothing younger than the grace period is deleted, and no entry whose last access
 * is within it is evicted (uploads and restores in flight). The root manifest of an entry is
 * deleted only together with the whole entry.
 */

export type DeletionReason =
  | 'superseded'
  | 'broken'
  | 'orphan-pack'
  | 'orphan-marker'
  | 'pr-idle'
  | 'idle'
  | 'repo-cap'
  | 'bucket-cap'
  | 'stale-upload';

/** Every reason, in the order the planner applies them. */
export const DELETION_REASONS: readonly DeletionReason[] = [
  'superseded',
  'broken',
  'orphan-pack',
  'orphan-marker',
  'pr-idle',
  'idle',
  'repo-cap',
  'bucket-cap',
  'stale-upload',
];

export type ObjectRole = 'manifest' | 'update' | 'pack' | 'marker' | 'other';

export interface PlannedObject extends StoredObject {
  readonly role: ObjectRole;
}

export interface PlanItem {
  readonly reason: DeletionReason;
  readonly repository: string;
  readonly entryDir: string;
  readonly scope: string;
  readonly scopeKind: ScopeKind;
  /** The cache key, when the object key spells it out. */
  readonly key: string | undefined;
  /** The root manifest goes too: the entry ceases to exist. */
  readonly wholeEntry: boolean;
  /** Entries: their last access. Orphans: their newest object. */
  readonly lastAccess: number;
  /** Bytes freed: objects plus guard. */
  readonly bytes: number;
  /** In deletion order: manifests before the packs they reference. */
  readonly objects: readonly PlannedObject[];
  /**
   * Whole-entry deletions of entries with an access marker: the marker is deleted first, on
   * condition that it is unchanged since the listing. A restore that touched the entry after the
   * listing thereby keeps it (it is in use after all) instead of losing it to a stale decision.
   */
  readonly guard: PlannedObject | undefined;
}

export interface PlannedAbort {
  readonly reason: 'stale-upload';
  readonly repository: string | undefined;
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: number;
}

export interface RepositoryProjection {
  readonly repository: string;
  readonly capBytes: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly entriesBefore: number;
  readonly entriesAfter: number;
}

export interface Plan {
  readonly now: number;
  readonly policy: JanitorPolicy;
  readonly items: readonly PlanItem[];
  readonly aborts: readonly PlannedAbort[];
  readonly repositories: readonly RepositoryProjection[];
  /** Bytes of all repositories, before and after the plan. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly entriesBefore: number;
  readonly entriesAfter: number;
  /** Entries a cap or TTL would have evicted but that are in use (last access within the grace). */
  readonly keptInGrace: number;
  /**
   * Entries whose generations could not be judged (a manifest unreadable now, or of a format this
   * janitor does not know): nothing superseded or broken is decided for them. TTLs and caps,
   * which delete whole entries, still apply.
   */
  readonly unresolved: number;
}

export interface PlanInput {
  inventory: Inventory;
  policy: JanitorPolicy;
  now: Date | number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface RepoState {
  repository: string;
  capBytes: number;
  maxIdleDays: number;
  pullRequestIdleDays: number;
  bytesBefore: number;
  bytes: number;
  entriesBefore: number;
  entries: number;
}

export function createPlan({ inventory, policy, now: at }: PlanInput): Plan {
  const now = typeof at === 'number' ? at : at.getTime();
  const graceCutoff = now - policy.graceMinutes * MINUTE;
  const items: PlanItem[] = [];
  const repos = new Map<string, RepoState>();
  for (const usage of inventory.repositories) {
    const limits = repositoryLimits(policy, usage.repository);
    repos.set(usage.repository, {
      repository: usage.repository,
      ...limits,
      bytesBefore: usage.bytes,
      bytes: usage.bytes,
      entriesBefore: usage.entries,
      entries: usage.entries,
    });
  }
  const repoOf = (repository: string): RepoState => {
    let state = repos.get(repository);
    if (!state) {
      // Only when a hand-built inventory omits a repository's usage: account from zero.
      state = {
        repository,
        ...repositoryLimits(policy, repository),
        bytesBefore: 0,
        bytes: 0,
        entriesBefore: 0,
        entries: 0,
      };
      repos.set(repository, state);
    }
    return state;
  };
  const evicted = new Set<Entry>();
  /** Object keys already planned per entry (superseded), so a later eviction skips them. */
  const planned = new Map<Entry, Set<string>>();
  const push = (item: PlanItem) => {
    items.push(item);
    const repo = repoOf(item.repository);
    repo.bytes -= item.bytes;
    if (item.wholeEntry) repo.entries--;
  };
  const evict = (entry: Entry, reason: DeletionReason) => {
    evicted.add(entry);
    push(wholeEntryItem(entry, reason, graceCutoff, planned.get(entry)));
  };

  // 1. Per entry: unrestorable entries, then generations no restore will pick again.
  let unresolved = 0;
  const broken: Entry[] = [];
  for (const entry of inventory.entries) {
    const verdict = judgeEntry(entry, graceCutoff);
    if (verdict.kind === 'unresolved') unresolved++;
    if (verdict.kind === 'broken') {
      broken.push(entry);
    } else if (verdict.kind === 'superseded' && verdict.objects.length > 0) {
      planned.set(entry, new Set(verdict.objects.map((o) => o.key)));
      push(partialItem(entry, 'superseded', verdict.objects));
    }
  }
  for (const entry of broken) evict(entry, 'broken');

  // 2. Orphans: no root manifest, so no reader can reach these objects.
  const uploadCutoff = Math.min(now - policy.multipartMaxAgeHours * HOUR, graceCutoff);
  const uploading = new Set<string>();
  for (const upload of inventory.uploads) {
    if (upload.entryDir !== undefined && upload.initiated > uploadCutoff) uploading.add(upload.entryDir);
  }
  for (const orphan of inventory.orphans) {
    // A save in flight writes its pack before its manifest: leave the directory alone meanwhile.
    if (!uploading.has(orphan.entryDir)) {
      const objects = [
        ...orphan.updates.map((u) => toPlanned(u.object, 'update')),
        ...orphan.packs.map((p) => toPlanned(p.object, 'pack')),
      ].filter((o) => o.lastModified <= graceCutoff);
      if (objects.length > 0) push(partialItem(orphan, 'orphan-pack', objects));
    }
    if (orphan.marker && orphan.marker.lastModified <= graceCutoff) {
      push(partialItem(orphan, 'orphan-marker', [toPlanned(orphan.marker, 'marker')]));
    }
  }

  // 3. TTLs on last access.
  const kept = new Set<Entry>();
  const live = () => inventory.entries.filter((e) => !evicted.has(e));
  for (const entry of live()) {
    if (entry.scopeKind !== 'pull') continue;
    const { pullRequestIdleDays } = repoOf(entry.repository);
    if (entry.lastAccess <= now - pullRequestIdleDays * DAY) {
      if (entry.lastAccess <= graceCutoff) evict(entry, 'pr-idle');
      else kept.add(entry);
    }
  }
  for (const entry of live()) {
    const { maxIdleDays } = repoOf(entry.repository);
    if (entry.lastAccess <= now - maxIdleDays * DAY) {
      if (entry.lastAccess <= graceCutoff) evict(entry, 'idle');
      else kept.add(entry);
    }
  }

  // 4. Per-repository caps, least recently used first, down to the low-water mark.
  const remaining = live().sort(lru);
  const byRepo = new Map<string, Entry[]>();
  for (const entry of remaining) {
    const list = byRepo.get(entry.repository);
    if (list) list.push(entry);
    else byRepo.set(entry.repository, [entry]);
  }
  for (const repo of [...repos.values()].sort((a, b) => (a.repository < b.repository ? -1 : 1))) {
    if (repo.bytes <= repo.capBytes) continue;
    const target = Math.floor(repo.capBytes * policy.lowWaterRatio);
    const candidates = byRepo.get(repo.repository) ?? [];
    for (const [i, entry] of candidates.entries()) {
      if (repo.bytes <= target) break;
      if (entry.lastAccess > graceCutoff) {
        // Sorted by last access: every later candidate is in use too.
        for (const inUse of candidates.slice(i)) kept.add(inUse);
        break;
      }
      evict(entry, 'repo-cap');
    }
  }

  // 5. The bucket cap over all repositories, least recently used first.
  const total = () => sum([...repos.values()].map((r) => r.bytes));
  if (policy.bucketCapBytes !== undefined && total() > policy.bucketCapBytes) {
    const target = Math.floor(policy.bucketCapBytes * policy.lowWaterRatio);
    let bytes = total();
    for (const [i, entry] of remaining.entries()) {
      if (bytes <= target) break;
      if (evicted.has(entry)) continue;
      if (entry.lastAccess > graceCutoff) {
        for (const inUse of remaining.slice(i)) if (!evicted.has(inUse)) kept.add(inUse);
        break;
      }
      const before = repoOf(entry.repository).bytes;
      evict(entry, 'bucket-cap');
      bytes -= before - repoOf(entry.repository).bytes;
    }
  }

  // 6. Incomplete multipart uploads: they hold storage but are invisible to listings.
  const aborts: PlannedAbort[] = inventory.uploads
    .filter((u) => u.initiated <= uploadCutoff)
    .sort((a, b) => a.initiated - b.initiated || (a.key < b.key ? -1 : 1))
    .map((u) => ({
      reason: 'stale-upload',
      repository: u.repository,
      key: u.key,
      uploadId: u.uploadId,
      initiated: u.initiated,
    }));

  const repositories = [...repos.values()]
    .sort((a, b) => (a.repository < b.repository ? -1 : 1))
    .map((r) => ({
      repository: r.repository,
      capBytes: r.capBytes,
      bytesBefore: r.bytesBefore,
      bytesAfter: r.bytes,
      entriesBefore: r.entriesBefore,
      entriesAfter: r.entries,
    }));
  return {
    now,
    policy,
    items,
    aborts,
    repositories,
    bytesBefore: sum(repositories.map((r) => r.bytesBefore)),
    bytesAfter: sum(repositories.map((r) => r.bytesAfter)),
    entriesBefore: sum(repositories.map((r) => r.entriesBefore)),
    entriesAfter: sum(repositories.map((r) => r.entriesAfter)),
    keptInGrace: kept.size,
    unresolved,
  };
}

/**
 * The next generation whose manifest the planner needs to judge this entry, or undefined when
 * what is known suffices. Newest first, as restore looks: once the reference generation
 * (complete, older than the grace) is known, older generations need no read — they are
 * collected, or (the root) kept, whatever they say. Only an entry with no complete generation
 * needs every manifest read (to be found broken).
 */
export function generationToRead(entry: Entry, graceCutoff: number): Generation | undefined {
  if (entry.packs.length === 0) return undefined;
  const present = new Set(entry.packs.map((p) => p.id));
  for (let i = entry.updates.length; i >= 0; i--) {
    const generation = (i === 0 ? entry.root : entry.updates[i - 1]) as Generation;
    const content = generation.content;
    if (content.status === 'unread') return generation;
    if (content.status === 'unknown') return undefined;
    if (content.status === 'invalid') continue;
    if (generation.object.lastModified <= graceCutoff && content.packIds.every((id) => present.has(id))) {
      return undefined;
    }
  }
  return undefined;
}

type Verdict =
  | { kind: 'ok' }
  | { kind: 'unresolved' }
  | { kind: 'broken' }
  | { kind: 'superseded'; objects: PlannedObject[] };

/**
 * Restore uses the newest complete generation. The reference here is the newest complete
 * generation older than the grace period: whatever a restore started before it was written has
 * had the grace period to finish. Kept: the reference's packs and those of younger generations
 * (a save may still be completing them). Collected: updates older than the reference, dead
 * updates newer than it (unreadable, or incomplete though older than the grace: packs are
 * written before their manifest, so such a generation can never become complete), and packs
 * nobody kept references. The root manifest stays while the entry lives: restore finds entries
 * through it.
 */
function judgeEntry(entry: Entry, graceCutoff: number): Verdict {
  const generations: Generation[] = [entry.root, ...entry.updates];
  const present = new Set(entry.packs.map((p) => p.id));
  const settled = entry.lastAccess <= graceCutoff;
  if (settled && (entry.root.content.status === 'invalid' || entry.packs.length === 0))
    return { kind: 'broken' };

  const keep = new Set<string>();
  let reference = -1;
  for (let i = generations.length - 1; i >= 0; i--) {
    const generation = generations[i] as Generation;
    const content = generation.content;
    if (content.status === 'unread' || content.status === 'unknown') return { kind: 'unresolved' };
    if (content.status === 'invalid') continue;
    const young = generation.object.lastModified > graceCutoff;
    if (young) for (const id of content.packIds) keep.add(id);
    if (!young && content.packIds.every((id) => present.has(id))) {
      for (const id of content.packIds) keep.add(id);
      reference = i;
      break;
    }
  }
  if (reference < 0) {
    // No complete generation: unrestorable. Wait until the entry settles (a save may be adding one).
    const anyComplete = generations.some(
      (g) => g.content.status === 'ok' && g.content.packIds.every((id) => present.has(id)),
    );
    return settled && !anyComplete ? { kind: 'broken' } : { kind: 'ok' };
  }
  const objects: PlannedObject[] = [];
  for (let i = 1; i < generations.length; i++) {
    const update = generations[i] as Generation;
    if (i !== reference && update.object.lastModified <= graceCutoff)
      objects.push(toPlanned(update.object, 'update'));
  }
  for (const pack of entry.packs) {
    if (!keep.has(pack.id) && pack.object.lastModified <= graceCutoff)
      objects.push(toPlanned(pack.object, 'pack'));
  }
  return { kind: 'superseded', objects };
}

function toPlanned(object: StoredObject, role: PlannedObject['role']): PlannedObject {
  return { key: object.key, size: object.size, lastModified: object.lastModified, etag: object.etag, role };
}

function newest(dir: OrphanDir | Entry): number {
  if ('lastAccess' in dir) return dir.lastAccess;
  let t = dir.marker?.lastModified ?? 0;
  for (const u of dir.updates) t = Math.max(t, u.object.lastModified);
  for (const p of dir.packs) t = Math.max(t, p.object.lastModified);
  return t;
}

function partialItem(dir: Entry | OrphanDir, reason: DeletionReason, objects: PlannedObject[]): PlanItem {
  return {
    reason,
    repository: dir.repository,
    entryDir: dir.entryDir,
    scope: dir.scope,
    scopeKind: dir.scopeKind,
    key: dir.key,
    wholeEntry: false,
    lastAccess: newest(dir),
    bytes: sum(objects.map((o) => o.size)),
    objects,
    guard: undefined,
  };
}

/**
 * Root manifest first (the entry disappears for readers at once), then updates, packs and
 * leftovers. Objects younger than the grace stay (a save in flight): a later run finds them
 * orphaned. The marker is the guard, deleted before everything else.
 */
function wholeEntryItem(
  entry: Entry,
  reason: DeletionReason,
  graceCutoff: number,
  alreadyPlanned: ReadonlySet<string> | undefined,
): PlanItem {
  const objects: PlannedObject[] = [toPlanned(entry.root.object, 'manifest')];
  const add = (object: StoredObject, role: PlannedObject['role']) => {
    if (object.lastModified <= graceCutoff && !alreadyPlanned?.has(object.key))
      objects.push(toPlanned(object, role));
  };
  for (let i = entry.updates.length - 1; i >= 0; i--) add((entry.updates[i] as Generation).object, 'update');
  for (const pack of entry.packs) add(pack.object, 'pack');
  for (const extra of entry.extras) add(extra, 'other');
  const guard =
    entry.marker && entry.marker.lastModified <= graceCutoff ? toPlanned(entry.marker, 'marker') : undefined;
  return {
    reason,
    repository: entry.repository,
    entryDir: entry.entryDir,
    scope: entry.scope,
    scopeKind: entry.scopeKind,
    key: entry.key,
    wholeEntry: true,
    lastAccess: entry.lastAccess,
    bytes: sum(objects.map((o) => o.size)) + (guard?.size ?? 0),
    objects,
    guard,
  };
}

/** Least recently used first; among equals the larger entry (frees more), then a stable order. */
function lru(a: Entry, b: Entry): number {
  return a.lastAccess - b.lastAccess || b.bytes - a.bytes || (a.entryDir < b.entryDir ? -1 : 1);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export interface ReasonSummary {
  items: number;
  objects: number;
  bytes: number;
  /** Whole entries removed. */
  entries: number;
}

/** Items, objects and bytes per reason (aborted uploads count as objects of `stale-upload`). */
export function summarizePlan(plan: Plan): Record<DeletionReason, ReasonSummary> {
  const out = Object.fromEntries(
    DELETION_REASONS.map((r) => [r, { items: 0, objects: 0, bytes: 0, entries: 0 }]),
  ) as Record<DeletionReason, ReasonSummary>;
  for (const item of plan.items) {
    const s = out[item.reason];
    s.items++;
    s.objects += item.objects.length + (item.guard ? 1 : 0);
    s.bytes += item.bytes;
    if (item.wholeEntry) s.entries++;
  }
  out['stale-upload'].items += plan.aborts.length;
  out['stale-upload'].objects += plan.aborts.length;
  return out;
}
