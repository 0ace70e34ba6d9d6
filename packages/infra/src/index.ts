export type { BucketRef } from './bucket-ref.js';
export {
  CacheBucket,
  type CacheBucketProps,
  type CacheLifecycleProps,
  type ResolvedCacheLifecycle,
} from './cache-bucket.js';
export {
  ConfigError,
  loadConfig,
  parseConfig,
  parseSize,
  type RepositoryConfig,
  type S3CacheConfig,
} from './config.js';
export {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  GithubOidcAccess,
  type GithubOidcAccessProps,
} from './github-oidc-access.js';
export {
  Janitor,
  type JanitorPolicy,
  type JanitorProps,
  type JanitorRepositoryPolicy,
} from './janitor.js';
export { DEFAULT_JANITOR_ENTRY, type JanitorCodeOptions, janitorCode } from './janitor-code.js';
export { ObjectType, type ObjectTypeValue, repositoryRoot } from './layout.js';
export {
  type GithubSubjectFormat,
  RepositoryCacheRoles,
  type RepositoryCacheRolesProps,
  subjectPrefix,
} from './repository-cache-roles.js';
export { S3CacheStack, type S3CacheStackProps } from './s3cache-stack.js';
export { type WorkflowSnippetProps, workflowSnippet } from './workflow-snippet.js';
