import { ValidationError } from '../errors.js';
import { encodeSegment } from './encode.js';

/** The git ref a cache entry belongs to, e.g. `refs/heads/main` or `refs/pull/7/merge`. */
export type Scope = string;

export type ScopeKind = 'heads' | 'pull' | 'tags' | 'other';

export interface ScopeInputs {
  /** GITHUB_REF of the run. */
  ref: string;
  /** GITHUB_BASE_REF for pull requests (a branch name, without refs/heads/). */
  baseRef?: string | undefined;
  /** The repository's default branch name, from the event payload. */
  defaultBranch?: string | undefined;
}

/**
 * Scopes a run may read, in order: its own ref; for pull requests the base branch; then the
 * default branch. Never siblings or children. Writes go to the first scope only.
 */
export function readScopes({ ref, baseRef, defaultBranch }: ScopeInputs): Scope[] {
  const scopes: Scope[] = [ref];
  const add = (scope: Scope) => {
    if (!scopes.includes(scope)) scopes.push(scope);
  };
  if (baseRef) add(baseRef.startsWith('refs/') ? baseRef : `refs/heads/${baseRef}`);
  if (defaultBranch) add(defaultBranch.startsWith('refs/') ? defaultBranch : `refs/heads/${defaultBranch}`);
  return scopes;
}

/** The layout path of a scope: `<kind>/<enc(name)>` — one kind segment, one name segment. */
export function scopePath(scope: Scope): string {
  if (!scope) throw new ValidationError('A cache scope (git ref) is required');
  const match = /^refs\/(heads|pull|tags)\/(.+)$/.exec(scope);
  if (match?.[1] && match[2]) return `${match[1]}/${encodeSegment(match[2])}`;
  return `other/${encodeSegment(scope)}`;
}

export function scopeFromPath(kind: string, name: string): Scope {
  const decoded = decodeURIComponent(name);
  return kind === 'other' ? decoded : `refs/${kind}/${decoded}`;
}

export function scopeKind(scope: Scope): ScopeKind {
  return scopePath(scope).split('/')[0] as ScopeKind;
}
