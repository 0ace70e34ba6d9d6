import { performance } from 'node:perf_hooks';
import type { Layout, Store } from '@s3cache/core';
import { type ExecuteOptions, type ExecutionResult, executePlan } from './executor.js';
import { listBucket, type PrefixLister } from './listing.js';
import { type JanitorLogger, silentJanitorLogger } from './log.js';
import { readManifests } from './manifests.js';
import { createPlan, type Plan, summarizePlan } from './planner.js';
import { type PolicyInput, parsePolicy } from './policy.js';
import { buildReport, type JanitorReport, type MetricsOptions, metricsLines } from './report.js';

export interface RunJanitorOptions {
  store: Store;
  layout: Layout;
  /** Validated here; defaults apply to what is missing. */
  policy?: PolicyInput;
  /** The planning clock: ages and TTLs are measured against it (default: the start time). */
  now?: Date;
  /** Plan and report, delete nothing, write no report object, emit no metrics. */
  dryRun?: boolean;
  log?: JanitorLogger;
  /** Delimiter listings (S3PrefixLister on S3): lets repositories be listed in parallel. */
  prefixLister?: PrefixLister;
  /** Listings in flight (default 8). */
  listConcurrency?: number;
  /** Manifest GETs in flight (default 32). */
  readConcurrency?: number;
  /** Tuning of deletes: batch size, DeleteObjects in flight, retries. */
  execute?: Pick<
    ExecuteOptions,
    'batchSize' | 'concurrency' | 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'verifyGuards'
  >;
  /** CloudWatch EMF; `false` disables (default: on, except in a dry run). */
  metrics?: MetricsOptions | false;
  /** Receives EMF lines (default: stdout, where Lambda picks them up). */
  emit?: (line: string) => void;
  /** Write the report to `<prefix>_s3cache/reports/<time>.json` (default: unless a dry run). */
  writeReport?: boolean;
  signal?: AbortSignal;
  /** Wall clock for the report's start and end times (tests). */
  clock?: () => Date;
}

export interface JanitorRun {
  report: JanitorReport;
  plan: Plan;
  execution: ExecutionResult | undefined;
}

/**
 * One janitor run: list the bucket, read the manifests the planner needs, plan, execute, report.
 * Orchestration only; the decisions are in `createPlan`, the deletes in `executePlan`.
 */
export async function runJanitor(options: RunJanitorOptions): Promise<JanitorRun> {
  const { store, layout } = options;
  const log = options.log ?? silentJanitorLogger;
  const clock = options.clock ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  const policy = parsePolicy(options.policy ?? {});
  const startedAt = clock();
  const now = (options.now ?? startedAt).getTime();
  const phase = () => {
    const t0 = performance.now();
    return () => Math.round(performance.now() - t0);
  };
  log.info('janitor started', {
    location: store.location,
    prefix: layout.prefix,
    dryRun,
    now: new Date(now).toISOString(),
  });

  let elapsed = phase();
  const listed = await listBucket({
    store,
    layout,
    lister: options.prefixLister,
    ...(options.listConcurrency ? { concurrency: options.listConcurrency } : {}),
    log,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const listMs = elapsed();
  log.info('listed', {
    objects: listed.inventory.objects,
    bytes: listed.inventory.bytes,
    repositories: listed.inventory.repositories.length,
    entries: listed.inventory.entries.length,
    uploads: listed.inventory.uploads.length,
    ms: listMs,
  });

  elapsed = phase();
  const read = await readManifests(listed.inventory, {
    store,
    layout,
    graceCutoff: now - policy.graceMinutes * 60_000,
    ...(options.readConcurrency ? { concurrency: options.readConcurrency } : {}),
    log,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const readMs = elapsed();
  log.info('manifests read', { read: read.read, failed: read.failed, ms: readMs });

  elapsed = phase();
  const plan = createPlan({ inventory: read.inventory, policy, now });
  const planMs = elapsed();
  const summary = summarizePlan(plan);
  log.info('planned', {
    items: plan.items.length,
    aborts: plan.aborts.length,
    bytesBefore: plan.bytesBefore,
    bytesAfter: plan.bytesAfter,
    keptInGrace: plan.keptInGrace,
    unresolved: plan.unresolved,
    byReason: Object.fromEntries(Object.entries(summary).filter(([, s]) => s.items > 0)),
    ms: planMs,
  });

  elapsed = phase();
  const execution = dryRun
    ? undefined
    : await executePlan(plan, {
        store,
        log,
        ...options.execute,
        ...(options.signal ? { signal: options.signal } : {}),
      });
  const executeMs = elapsed();
  if (execution) {
    log.info('executed', {
      objectsDeleted: execution.objectsDeleted,
      bytesDeleted: execution.bytesDeleted,
      entriesDeleted: execution.entriesDeleted,
      entriesKept: execution.entriesKept,
      objectsChanged: execution.objectsChanged,
      uploadsAborted: execution.uploadsAborted,
      failures: execution.failureCount,
      ms: executeMs,
    });
  }

  const report = buildReport({
    location: store.location,
    prefix: layout.prefix,
    startedAt,
    finishedAt: clock(),
    now,
    policy,
    inventory: read.inventory,
    repositoryPrefixes: listed.repositoryPrefixes,
    manifestsRead: read.read,
    manifestReadFailures: read.failed,
    plan,
    execution,
    timingsMs: { list: listMs, readManifests: readMs, plan: planMs, execute: executeMs },
  });

  if (options.writeReport ?? !dryRun) {
    const key = layout.reservedKey(`reports/${startedAt.toISOString()}.json`);
    try {
      await store.putObject(key, Buffer.from(`${JSON.stringify({ ...report, reportKey: key }, null, 2)}\n`), {
        tags: { type: 'report' },
        contentType: 'application/json',
      });
      report.reportKey = key;
    } catch (err) {
      // The deletions are done; a lost report is worth an error line, not a failed run.
      log.error('could not write the report', { key, error: err });
    }
  }
  if (options.metrics !== false && !dryRun) {
    const emit = options.emit ?? ((line: string) => void process.stdout.write(`${line}\n`));
    for (const line of metricsLines(report, options.metrics ?? {})) emit(line);
  }
  log.info('janitor finished', {
    dryRun,
    bytesBefore: report.totals.bytesBefore,
    bytesAfter: report.totals.bytesAfter,
    objectsDeleted: report.totals.objectsDeleted,
    failures: report.totals.failures,
    durationMs: report.durationMs,
  });
  return { report, plan, execution };
}
