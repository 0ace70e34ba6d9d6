import { resolve } from 'node:path';
import { normalizeRepository, readScopes, type Scope } from '@s3cache/core';
import { type GitFacts, localRepository, toRef } from '../git/git-context.js';
import type { Env } from '../io.js';

/** Flags that say which entry a save or restore is about (all optional: defaults follow). */
export interface RunContextFlags {
  repository?: string | undefined;
  ref?: string | undefined;
  defaultBranch?: string | undefined;
  baseRef?: string | undefined;
  workspace?: string | undefined;
}

/** Where a save writes and a restore reads, with the same scope rules as the action. */
export interface RunContext {
  repository: string;
  /** The scope written to (and read first). */
  ref: Scope;
  defaultBranch: string;
  baseRef: string | undefined;
  /** Scopes a restore reads, in order: own ref, the PR's base branch, the default branch. */
  scopes: Scope[];
  /** Relative `--path` patterns resolve against it, and archive names are relative to it. */
  workspace: string;
}

/**
 * Resolves the run context. Precedence for each value: the flag, then the GitHub Actions variable
 * (so the CLI inside a workflow agrees with the action), then git, then a fixed default:
 * - repository: --repository, GITHUB_REPOSITORY, the origin remote, `local/<workspace dir name>`
 * - ref: --ref, GITHUB_REF, `refs/heads/<checked-out branch>`, `refs/heads/main`
 * - default branch: --default-branch, origin's HEAD, `main`
 * - base ref: --base-ref, GITHUB_BASE_REF (pull requests only)
 * - workspace: --workspace, GITHUB_WORKSPACE, the current directory
 *
 * Pure: git has already been asked (`facts`). Throws ValidationError for a malformed repository.
 */
export function resolveRunContext(
  flags: RunContextFlags,
  env: Env,
  facts: GitFacts,
  cwd: string,
): RunContext {
  const workspace = resolve(cwd, flags.workspace ?? nonEmpty(env.GITHUB_WORKSPACE) ?? '.');
  const repository =
    flags.repository ?? nonEmpty(env.GITHUB_REPOSITORY) ?? facts.repository ?? localRepository(workspace);
  normalizeRepository(repository);
  const ref = toRef(
    flags.ref ??
      nonEmpty(env.GITHUB_REF) ??
      (facts.branch ? `refs/heads/${facts.branch}` : 'refs/heads/main'),
  );
  const defaultBranch = (flags.defaultBranch ?? facts.defaultBranch ?? 'main').replace(/^refs\/heads\//, '');
  const baseRef = flags.baseRef ?? (ref.startsWith('refs/pull/') ? nonEmpty(env.GITHUB_BASE_REF) : undefined);
  return {
    repository,
    ref,
    defaultBranch,
    baseRef,
    scopes: readScopes({ ref, baseRef, defaultBranch }),
    workspace,
  };
}

/** Whether resolving needs git at all (every value given by a flag or the environment). */
export function needsGit(flags: RunContextFlags, env: Env): boolean {
  return (
    (flags.repository ?? nonEmpty(env.GITHUB_REPOSITORY)) === undefined ||
    (flags.ref ?? nonEmpty(env.GITHUB_REF)) === undefined ||
    flags.defaultBranch === undefined
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value.trim() : undefined;
}
