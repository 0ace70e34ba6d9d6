import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type DeleteRequest, type Store, withRetry } from '@s3cache/core';
import { mapConcurrent } from './concurrency.js';
import { type JanitorLogger, silentJanitorLogger } from './log.js';
import {
  DELETION_REASONS,
  type DeletionReason,
  type Plan,
  type PlanItem,
  type PlannedObject,
} from './planner.js';

/** S3 accepts at most 1,000 keys per DeleteObjects call. */
export const MAX_DELETE_BATCH = 1000;
const MAX_FAILURES_KEPT = 100;

export interface ExecuteOptions {
  store: Store;
  /** Execute nothing; the result says what was planned. */
  dryRun?: boolean;
  /** Keys per DeleteObjects call (at most 1,000). */
  batchSize?: number;
  /** DeleteObjects calls in flight (default 4: a partition takes ~3,500 deletes/s). */
  concurrency?: number;
  /** Attempts per batch on throttling and 5xx (default 5, on top of the SDK's own), with full-jitter backoff. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Check guards (access markers) with HEAD before deleting them, for stores that do not
   * enforce conditional deletes. Default: when `store.supportsConditionalDelete` is false.
   */
  verifyGuards?: boolean;
  log?: JanitorLogger;
  signal?: AbortSignal;
}

export interface DeletionTally {
  objects: number;
  bytes: number;
  /** Whole entries removed (their root manifest is gone). */
  entries: number;
}

export interface ExecutionResult {
  dryRun: boolean;
  /** Objects gone after the run: deleted now, or already gone (another run, a lifecycle rule). */
  objectsDeleted: number;
  bytesDeleted: number;
  entriesDeleted: number;
  /** Whole-entry deletions abandoned: the entry was used since the listing, or its manifest could not be deleted. */
  entriesKept: number;
  /** Objects not deleted because they were rewritten since the listing. */
  objectsChanged: number;
  /** Objects not attempted because their item was abandoned. */
  objectsSkipped: number;
  uploadsAborted: number;
  byReason: Record<DeletionReason, DeletionTally>;
  byRepository: Record<string, DeletionTally>;
  deleteRequests: number;
  failureCount: number;
  /** The first failures (key and reason). */
  failures: { key: string; reason: string }[];
}

type Outcome = 'deleted' | 'gone' | 'changed' | 'failed';

interface Task {
  readonly object: PlannedObject;
  readonly item: number;
}

/** Per-key error codes worth another attempt (S3 reports them inside a 200 DeleteObjects reply). */
const RETRYABLE_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'OperationAborted',
  'Throttling',
  'ThrottlingException',
  // A conditional delete racing another write: retrying resolves to deleted, gone or changed.
  'ConditionalRequestConflict',
  'Conflict',
]);
const GONE_CODES = new Set(['NoSuchKey', 'NotFound']);
const CHANGED_CODES = new Set(['PreconditionFailed']);

function codeOfReason(reason: string): string {
  return reason.split(':', 1)[0]?.trim() ?? '';
}

/** Whether a thrown store error is throttling or a server fault (then the whole batch is retried). */
export function isRetryableStoreError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; cause?: { $metadata?: { httpStatusCode?: number } } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : '';
  if (RETRYABLE_CODES.has(code)) return true;
  const status =
    e?.cause?.$metadata?.httpStatusCode ??
    (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/**
 * Executes a plan. Phases, each finished before the next starts:
 *   1. guards: access markers of entries to be deleted, conditionally. A marker rewritten since
 *      the listing means a restore used the entry meanwhile: the entry is kept.
 *   2. manifests: root manifests and updates. Once they are gone no reader can reach the packs.
 *   3. packs, orphan markers and the rest, only for items whose manifests are confirmed gone:
 *      a manifest that could not be deleted keeps its packs, so no reader ever sees an entry
 *      with missing parts because of us.
 *   4. stale multipart uploads are aborted.
 * Every step is idempotent (an object already gone counts as deleted), so an interrupted run
 * is completed by running again, and two overlapping runs do no harm.
 */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionResult> {
  const log = options.log ?? silentJanitorLogger;
  const result = emptyResult(options.dryRun ?? false);
  if (options.dryRun) {
    log.info('dry run: nothing deleted', { items: plan.items.length, aborts: plan.aborts.length });
    return result;
  }
  const batchSize = Math.min(Math.max(1, options.batchSize ?? MAX_DELETE_BATCH), MAX_DELETE_BATCH);
  const runner = new DeleteRunner(options, batchSize, result, log);
  const abandoned = new Set<number>();

  const guards: Task[] = [];
  plan.items.forEach((item, i) => {
    if (item.guard) guards.push({ object: item.guard, item: i });
  });
  const guardOutcomes = await runner.run(
    guards,
    options.verifyGuards ?? !options.store.supportsConditionalDelete,
  );
  guards.forEach((task, i) => {
    const outcome = guardOutcomes[i];
    if (outcome === 'changed' || outcome === 'failed') abandoned.add(task.item);
  });
  if (abandoned.size > 0) log.info('entries used since the listing are kept', { entries: abandoned.size });

  const manifestTasks = tasksOf(plan, abandoned, (o) => o.role === 'manifest' || o.role === 'update');
  const manifestOutcomes = await runner.run(manifestTasks, false);
  manifestTasks.forEach((task, i) => {
    const outcome = manifestOutcomes[i];
    if (outcome === 'changed' || outcome === 'failed') abandoned.add(task.item);
  });

  const dataTasks = tasksOf(plan, abandoned, (o) => o.role !== 'manifest' && o.role !== 'update');
  const dataOutcomes = await runner.run(dataTasks, false);

  // Tally by the outcome of each object, then whole entries by their root manifest.
  const record = (tasks: Task[], outcomes: Outcome[]) => {
    tasks.forEach((task, i) => {
      const outcome = outcomes[i];
      const item = plan.items[task.item] as PlanItem;
      if (outcome === 'deleted' || outcome === 'gone') {
        tally(result, item, task.object.size);
        if (item.wholeEntry && task.object.role === 'manifest') {
          result.entriesDeleted++;
          result.byReason[item.reason].entries++;
          (result.byRepository[item.repository] as DeletionTally).entries++;
        }
      } else if (outcome === 'changed') {
        result.objectsChanged++;
      }
    });
  };
  record(guards, guardOutcomes);
  record(manifestTasks, manifestOutcomes);
  record(dataTasks, dataOutcomes);

  for (const i of abandoned) {
    const item = plan.items[i] as PlanItem;
    if (item.wholeEntry) result.entriesKept++;
  }
  result.objectsSkipped = countSkipped(plan, abandoned, guards, guardOutcomes, manifestTasks);

  await abortUploads(plan, options, result, log);
  return result;
}

function tasksOf(plan: Plan, abandoned: ReadonlySet<number>, select: (o: PlannedObject) => boolean): Task[] {
  const tasks: Task[] = [];
  plan.items.forEach((item, i) => {
    if (abandoned.has(i)) return;
    for (const object of item.objects) if (select(object)) tasks.push({ object, item: i });
  });
  return tasks;
}

function countSkipped(
  plan: Plan,
  abandoned: ReadonlySet<number>,
  guards: Task[],
  guardOutcomes: Outcome[],
  manifestTasks: Task[],
): number {
  const attempted = new Set<PlannedObject>();
  guards.forEach((t, i) => {
    if (guardOutcomes[i] !== undefined) attempted.add(t.object);
  });
  for (const t of manifestTasks) attempted.add(t.object);
  let skipped = 0;
  for (const i of abandoned) {
    for (const object of (plan.items[i] as PlanItem).objects) if (!attempted.has(object)) skipped++;
  }
  return skipped;
}

function tally(result: ExecutionResult, item: PlanItem, bytes: number): void {
  result.objectsDeleted++;
  result.bytesDeleted += bytes;
  const reason = result.byReason[item.reason];
  reason.objects++;
  reason.bytes += bytes;
  let repo = result.byRepository[item.repository];
  if (!repo) {
    repo = { objects: 0, bytes: 0, entries: 0 };
    result.byRepository[item.repository] = repo;
  }
  repo.objects++;
  repo.bytes += bytes;
}

function emptyResult(dryRun: boolean): ExecutionResult {
  return {
    dryRun,
    objectsDeleted: 0,
    bytesDeleted: 0,
    entriesDeleted: 0,
    entriesKept: 0,
    objectsChanged: 0,
    objectsSkipped: 0,
    uploadsAborted: 0,
    byReason: Object.fromEntries(
      DELETION_REASONS.map((r) => [r, { objects: 0, bytes: 0, entries: 0 }]),
    ) as Record<DeletionReason, DeletionTally>,
    byRepository: {},
    deleteRequests: 0,
    failureCount: 0,
    failures: [],
  };
}

function fail(result: ExecutionResult, key: string, reason: string): void {
  result.failureCount++;
  if (result.failures.length < MAX_FAILURES_KEPT) result.failures.push({ key, reason });
}

/** Runs DeleteObjects batches with bounded concurrency, retrying throttled keys with backoff. */
class DeleteRunner {
  private readonly conditional: boolean;

  constructor(
    private readonly options: ExecuteOptions,
    private readonly batchSize: number,
    private readonly result: ExecutionResult,
    private readonly log: JanitorLogger,
  ) {
    this.conditional = options.store.supportsConditionalDelete;
  }

  async run(tasks: Task[], verifyWithHead: boolean): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array<Outcome>(tasks.length);
    const batches: number[][] = [];
    let todo = tasks.map((_, i) => i);
    if (verifyWithHead) todo = await this.verify(tasks, todo, outcomes);
    for (let i = 0; i < todo.length; i += this.batchSize) batches.push(todo.slice(i, i + this.batchSize));
    await mapConcurrent(batches, this.options.concurrency ?? 4, async (batch) => {
      this.options.signal?.throwIfAborted();
      await this.deleteBatch(tasks, batch, outcomes);
    });
    return outcomes;
  }

  /** Without conditional deletes, compare each object's current ETag with the listed one first. */
  private async verify(tasks: Task[], todo: number[], outcomes: Outcome[]): Promise<number[]> {
    const keep: number[] = [];
    await mapConcurrent(todo, 16, async (i) => {
      const { object } = tasks[i] as Task;
      try {
        const current = await this.options.store.head(object.key);
        if (!current) outcomes[i] = 'gone';
        else if (object.etag !== undefined && current.etag !== object.etag) outcomes[i] = 'changed';
        else keep.push(i);
      } catch (err) {
        outcomes[i] = 'failed';
        fail(this.result, object.key, `HEAD failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return keep.sort((a, b) => a - b);
  }

  private async deleteBatch(tasks: Task[], batch: number[], outcomes: Outcome[]): Promise<void> {
    const { store } = this.options;
    const attempts = this.options.attempts ?? 5;
    const baseDelayMs = this.options.baseDelayMs ?? 200;
    const maxDelayMs = this.options.maxDelayMs ?? 20_000;
    let pending = batch;
    const lastReason = new Map<number, string>();
    for (let attempt = 0; attempt < attempts && pending.length > 0; attempt++) {
      if (attempt > 0) {
        const delay = backoffDelay(attempt - 1, baseDelayMs, maxDelayMs);
        this.log.warn('throttled: retrying deletes', { keys: pending.length, attempt, delayMs: delay });
        await sleep(delay, undefined, this.options.signal ? { signal: this.options.signal } : {});
      }
      const requests: DeleteRequest[] = pending.map((i) => {
        const { object } = tasks[i] as Task;
        return this.conditional && object.etag !== undefined
          ? { key: object.key, etag: object.etag }
          : { key: object.key };
      });
      let reply: Awaited<ReturnType<Store['deleteObjects']>>;
      try {
        reply = await withRetry(
          () => {
            this.result.deleteRequests++;
            return store.deleteObjects(requests);
          },
          {
            attempts,
            baseDelayMs,
            maxDelayMs,
            retryable: isRetryableStoreError,
            signal: this.options.signal,
            onRetry: (err, n, delayMs) =>
              this.log.warn('DeleteObjects failed: retrying', {
                attempt: n,
                delayMs,
                error: err instanceof Error ? err.message : String(err),
              }),
          },
        );
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        for (const i of pending) {
          outcomes[i] = 'failed';
          fail(this.result, (tasks[i] as Task).object.key, reason);
        }
        this.log.error('DeleteObjects failed', { keys: pending.length, error: err });
        return;
      }
      const deleted = new Set(reply.deleted);
      const failed = new Map(reply.failed.map((f) => [f.key, f.reason]));
      const retry: number[] = [];
      for (const i of pending) {
        const { key } = (tasks[i] as Task).object;
        const reason = failed.get(key);
        if (reason === undefined) {
          if (deleted.has(key)) outcomes[i] = 'deleted';
          else {
            // Not reported either way: assume nothing, try again.
            lastReason.set(i, 'not reported by DeleteObjects');
            retry.push(i);
          }
          continue;
        }
        const code = codeOfReason(reason);
        if (GONE_CODES.has(code)) outcomes[i] = 'gone';
        else if (CHANGED_CODES.has(code)) outcomes[i] = 'changed';
        else if (RETRYABLE_CODES.has(code)) {
          lastReason.set(i, reason);
          retry.push(i);
        } else {
          outcomes[i] = 'failed';
          fail(this.result, key, reason);
        }
      }
      pending = retry;
    }
    for (const i of pending) {
      outcomes[i] = 'failed';
      fail(this.result, (tasks[i] as Task).object.key, lastReason.get(i) ?? 'retries exhausted');
    }
  }
}

async function abortUploads(
  plan: Plan,
  options: ExecuteOptions,
  result: ExecutionResult,
  log: JanitorLogger,
) {
  await mapConcurrent(plan.aborts, 4, async (upload) => {
    options.signal?.throwIfAborted();
    try {
      const info = { key: upload.key, uploadId: upload.uploadId, initiated: new Date(upload.initiated) };
      await withRetry(() => options.store.abortMultipartUpload(info), {
        attempts: options.attempts ?? 5,
        baseDelayMs: options.baseDelayMs ?? 200,
        maxDelayMs: options.maxDelayMs ?? 20_000,
        retryable: isRetryableStoreError,
        signal: options.signal,
      });
      result.uploadsAborted++;
      result.byReason['stale-upload'].objects++;
    } catch (err) {
      fail(
        result,
        upload.key,
        `AbortMultipartUpload ${upload.uploadId}: ${err instanceof Error ? err.message : String(err)}`,
      );
      log.warn('could not abort a stale multipart upload', {
        key: upload.key,
        uploadId: upload.uploadId,
        error: err,
      });
    }
  });
}
