// The parts of docs/layout.md that IAM and lifecycle rules depend on. Kept in one place so the
// policies and the lifecycle filters cannot drift from each other.

/** Values of the `type` object tag written by the engine and the janitor. */
export const ObjectType = {
  base: 'base',
  deltaArchive: 'delta-archive',
  manifest: 'manifest',
  accessMarker: 'access-marker',
  report: 'report',
} as const;

export type ObjectTypeValue = (typeof ObjectType)[keyof typeof ObjectType];

/** Tag types an entry's own objects (packs, manifests, updates) may carry. */
export const ENTRY_OBJECT_TYPES: readonly ObjectTypeValue[] = [
  ObjectType.base,
  ObjectType.deltaArchive,
  ObjectType.manifest,
];

/** Reserved area for the janitor's own objects (reports). */
export const RESERVED_SEGMENT = '_s3cache';

// Segments are checked before they reach an ARN: `*`, `?` and `${` are IAM wildcards and policy
// variables, so a prefix containing them would silently widen every grant.
const PREFIX_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const OWNER_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** `owner/repo` as GitHub spells it, split. */
export interface RepositoryName {
  readonly owner: string;
  readonly repo: string;
}

/** Returns an error message, or undefined when `prefix` is usable as a bucket prefix. */
export function checkBucketPrefix(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (!PREFIX_PATTERN.test(prefix)) {
    return `bucket prefix "${prefix}" must be slash-separated segments of [A-Za-z0-9._-], without leading or trailing "/"`;
  }
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    return `bucket prefix "${prefix}" must not contain "." or ".." segments`;
  }
  return undefined;
}

/** Returns an error message, or undefined when `name` is a valid `owner/repo`. */
export function checkRepositoryName(name: string): string | undefined {
  const parts = name.split('/');
  const [owner, repo] = parts;
  if (parts.length !== 2 || owner === undefined || repo === undefined) {
    return `repository "${name}" must be written "owner/repo"`;
  }
  if (!OWNER_PATTERN.test(owner)) {
    return `repository owner "${owner}" must be 1-39 letters, digits or hyphens, starting with a letter or digit`;
  }
  if (!REPO_PATTERN.test(repo) || repo === '.' || repo === '..') {
    return `repository name "${repo}" must be 1-100 letters, digits, ".", "_" or "-"`;
  }
  return undefined;
}

export function parseRepositoryName(name: string): RepositoryName {
  const problem = checkRepositoryName(name);
  if (problem !== undefined) throw new Error(problem);
  const [owner = '', repo = ''] = name.split('/');
  return { owner, repo };
}

/** `P/` for a non-empty prefix, '' otherwise. */
export function keyPrefix(prefix: string): string {
  const problem = checkBucketPrefix(prefix);
  if (problem !== undefined) throw new Error(problem);
  return prefix === '' ? '' : `${prefix}/`;
}

/** `P/owner/repo` (no trailing slash), lower-cased as the layout requires. */
export function repositoryRoot(prefix: string, name: RepositoryName): string {
  return `${keyPrefix(prefix)}${name.owner.toLowerCase()}/${name.repo.toLowerCase()}`;
}

/** `P/_s3cache` (no trailing slash). */
export function reservedRoot(prefix: string): string {
  return `${keyPrefix(prefix)}${RESERVED_SEGMENT}`;
}
