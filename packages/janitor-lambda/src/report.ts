import type { ExecutionResult } from './executor.js';
import type { Inventory } from './inventory.js';
import { DELETION_REASONS, type DeletionReason, type Plan, summarizePlan } from './planner.js';
import type { JanitorPolicy } from './policy.js';

export const REPORT_FORMAT = 's3cache-janitor-report/1';

export interface ReasonReport {
  /** Planned items (entries or groups of objects). */
  items: number;
  /** Whole entries removed (planned in a dry run). */
  entries: number;
  objects: number;
  bytes: number;
}

export interface RepositoryReport {
  repository: string;
  capBytes: number;
  bytesBefore: number;
  bytesAfter: number;
  entriesBefore: number;
  entriesAfter: number;
  objectsDeleted: number;
  bytesDeleted: number;
}

export interface JanitorReport {
  format: typeof REPORT_FORMAT;
  location: string;
  prefix: string;
  /** Nothing was deleted; "after" figures are the plan's projection. */
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The clock the plan used (equal to startedAt unless injected). */
  now: string;
  policy: JanitorPolicy;
  listing: {
    objects: number;
    bytes: number;
    repositories: number;
    repositoryPrefixes: number;
    entries: number;
    orphanDirs: number;
    uploads: number;
    ignoredObjects: number;
    manifestsRead: number;
    manifestReadFailures: number;
  };
  totals: {
    bytesBefore: number;
    bytesAfter: number;
    entriesBefore: number;
    entriesAfter: number;
    objectsDeleted: number;
    bytesDeleted: number;
    entriesDeleted: number;
    /** Entries kept although planned: used since the listing, or their manifest could not be deleted. */
    entriesKept: number;
    /** Entries over a TTL or cap left alone because they are in use. */
    keptInGrace: number;
    /** Entries whose generations could not be judged (a manifest not readable). */
    unresolved: number;
    objectsChanged: number;
    objectsSkipped: number;
    uploadsAborted: number;
    failures: number;
  };
  byReason: Record<DeletionReason, ReasonReport>;
  repositories: RepositoryReport[];
  failures: { key: string; reason: string }[];
  timingsMs: { list: number; readManifests: number; plan: number; execute: number };
  /** Where this report was written (absent in a dry run). */
  reportKey?: string;
}

export interface ReportInput {
  location: string;
  prefix: string;
  startedAt: Date;
  finishedAt: Date;
  now: number;
  policy: JanitorPolicy;
  inventory: Inventory;
  repositoryPrefixes: number;
  manifestsRead: number;
  manifestReadFailures: number;
  plan: Plan;
  /** Absent in a dry run: the plan's projection is reported instead. */
  execution: ExecutionResult | undefined;
  timingsMs: JanitorReport['timingsMs'];
}

/** Pure: the run's report from its inventory, plan and execution. */
export function buildReport(input: ReportInput): JanitorReport {
  const { plan, execution, inventory } = input;
  const planned = summarizePlan(plan);
  const byReason = Object.fromEntries(
    DELETION_REASONS.map((reason) => {
      const p = planned[reason];
      const e = execution?.byReason[reason];
      return [
        reason,
        e ? { items: p.items, entries: e.entries, objects: e.objects, bytes: e.bytes } : { ...p },
      ];
    }),
  ) as Record<DeletionReason, ReasonReport>;
  const repositories: RepositoryReport[] = plan.repositories.map((r) => {
    if (!execution) {
      return {
        ...r,
        objectsDeleted: plan.items
          .filter((i) => i.repository === r.repository)
          .reduce((n, i) => n + i.objects.length + (i.guard ? 1 : 0), 0),
        bytesDeleted: r.bytesBefore - r.bytesAfter,
      };
    }
    const done = execution.byRepository[r.repository] ?? { objects: 0, bytes: 0, entries: 0 };
    return {
      ...r,
      bytesAfter: r.bytesBefore - done.bytes,
      entriesAfter: r.entriesBefore - done.entries,
      objectsDeleted: done.objects,
      bytesDeleted: done.bytes,
    };
  });
  const sum = (f: (r: RepositoryReport) => number) => repositories.reduce((n, r) => n + f(r), 0);
  return {
    format: REPORT_FORMAT,
    location: input.location,
    prefix: input.prefix,
    dryRun: execution === undefined,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    now: new Date(input.now).toISOString(),
    policy: input.policy,
    listing: {
      objects: inventory.objects,
      bytes: inventory.bytes,
      repositories: inventory.repositories.length,
      repositoryPrefixes: input.repositoryPrefixes,
      entries: inventory.entries.length,
      orphanDirs: inventory.orphans.length,
      uploads: inventory.uploads.length,
      ignoredObjects: inventory.ignoredObjects,
      manifestsRead: input.manifestsRead,
      manifestReadFailures: input.manifestReadFailures,
    },
    totals: {
      bytesBefore: sum((r) => r.bytesBefore),
      bytesAfter: sum((r) => r.bytesAfter),
      entriesBefore: sum((r) => r.entriesBefore),
      entriesAfter: sum((r) => r.entriesAfter),
      objectsDeleted: execution ? execution.objectsDeleted : sum((r) => r.objectsDeleted),
      bytesDeleted: sum((r) => r.bytesDeleted),
      entriesDeleted: execution ? execution.entriesDeleted : sum((r) => r.entriesBefore - r.entriesAfter),
      entriesKept: execution?.entriesKept ?? 0,
      keptInGrace: plan.keptInGrace,
      unresolved: plan.unresolved,
      objectsChanged: execution?.objectsChanged ?? 0,
      objectsSkipped: execution?.objectsSkipped ?? 0,
      uploadsAborted: execution ? execution.uploadsAborted : plan.aborts.length,
      failures: execution?.failureCount ?? 0,
    },
    byReason,
    repositories,
    failures: execution?.failures ?? [],
    timingsMs: input.timingsMs,
  };
}

export interface MetricsOptions {
  /** CloudWatch namespace (default `S3Cache/Janitor`). */
  namespace?: string;
  /** Dimensions of every metric, e.g. `{ Bucket: 'my-cache' }`. */
  dimensions?: Record<string, string>;
}

/**
 * CloudWatch Embedded Metric Format: JSON lines that Lambda's log pipeline turns into metrics
 * with no PutMetricData calls. One document for the run, one per reason that deleted anything
 * (with a `Reason` dimension, so a dashboard can stack bytes by reason).
 */
export function metricsLines(report: JanitorReport, options: MetricsOptions = {}): string[] {
  const namespace = options.namespace ?? 'S3Cache/Janitor';
  const dimensions = options.dimensions ?? {};
  const keys = Object.keys(dimensions);
  const timestamp = Date.parse(report.finishedAt);
  const doc = (extraDims: Record<string, string>, metrics: [string, number, string][]) =>
    JSON.stringify({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [[...keys, ...Object.keys(extraDims)]],
            Metrics: metrics.map(([Name, , Unit]) => ({ Name, Unit })),
          },
        ],
      },
      ...dimensions,
      ...extraDims,
      ...Object.fromEntries(metrics.map(([name, value]) => [name, value])),
    });
  const t = report.totals;
  const lines = [
    doc({}, [
      ['BytesBefore', t.bytesBefore, 'Bytes'],
      ['BytesAfter', t.bytesAfter, 'Bytes'],
      ['BytesDeleted', t.bytesDeleted, 'Bytes'],
      ['ObjectsListed', report.listing.objects, 'Count'],
      ['ObjectsDeleted', t.objectsDeleted, 'Count'],
      ['EntriesBefore', t.entriesBefore, 'Count'],
      ['EntriesAfter', t.entriesAfter, 'Count'],
      ['EntriesDeleted', t.entriesDeleted, 'Count'],
      ['EntriesKept', t.entriesKept, 'Count'],
      ['UploadsAborted', t.uploadsAborted, 'Count'],
      ['Failures', t.failures, 'Count'],
      ['DurationMs', report.durationMs, 'Milliseconds'],
    ]),
  ];
  for (const reason of DELETION_REASONS) {
    const r = report.byReason[reason];
    if (r.objects === 0 && r.items === 0) continue;
    lines.push(
      doc({ Reason: reason }, [
        ['ObjectsDeleted', r.objects, 'Count'],
        ['BytesDeleted', r.bytes, 'Bytes'],
        ['EntriesDeleted', r.entries, 'Count'],
      ]),
    );
  }
  return lines;
}
