// The janitor's API, for the Lambda handler and the CLI (`s3cache janitor --dry-run`).
export { JanitorConfigError, JanitorError, ListingError } from './errors.js';
export {
  type DeletionTally,
  type ExecuteOptions,
  type ExecutionResult,
  executePlan,
  isRetryableStoreError,
  MAX_DELETE_BATCH,
} from './executor.js';
export { type FormatPlanOptions, formatAge, formatBytes, formatPlan } from './format.js';
export {
  type HandlerConfig,
  type HandlerDependencies,
  handler,
  type LambdaContextLike,
  readConfig,
  readEvent,
  runHandler,
} from './handler.js';
export {
  buildInventory,
  type Entry,
  fillEntry,
  type Generation,
  type GenerationContent,
  generationsToRead,
  type Inventory,
  InventoryBuilder,
  manifestsToRead,
  type OrphanDir,
  type PackObject,
  type RepositoryUsage,
  type ScopeKind,
  type StoredObject,
  type UploadInfo,
  withGenerationContents,
} from './inventory.js';
export { type JanitorRun, type RunJanitorOptions, runJanitor } from './janitor.js';
export {
  type ListBucketOptions,
  type ListBucketResult,
  listBucket,
  type PrefixLister,
  S3PrefixLister,
} from './listing.js';
export {
  createJsonLogger,
  describeError,
  type JanitorLogger,
  type JsonLoggerOptions,
  type LogFields,
  type LogLevel,
  silentJanitorLogger,
} from './log.js';
export {
  judgeManifest,
  type ReadManifestsOptions,
  type ReadManifestsResult,
  readManifests,
} from './manifests.js';
export {
  createPlan,
  DELETION_REASONS,
  type DeletionReason,
  generationToRead,
  type ObjectRole,
  type Plan,
  type PlanInput,
  type PlanItem,
  type PlannedAbort,
  type PlannedObject,
  type ReasonSummary,
  type RepositoryProjection,
  summarizePlan,
} from './planner.js';
export {
  defaultPolicy,
  GiB,
  type JanitorPolicy,
  type PolicyInput,
  parseByteSize,
  parsePolicy,
  policySchema,
  type RepositoryPolicy,
  repositoryLimits,
} from './policy.js';
export {
  buildReport,
  type JanitorReport,
  type MetricsOptions,
  metricsLines,
  REPORT_FORMAT,
  type ReasonReport,
  type ReportInput,
  type RepositoryReport,
} from './report.js';
