import { basename } from 'node:path';

/** Runs git with `args` in `cwd`; resolves to trimmed stdout, or undefined if git failed or is absent. */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<string | undefined>;

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * `owner/repo` from a remote URL in any form git accepts: `git@github.com:owner/repo.git`,
 * `https://github.com/owner/repo`, `ssh://git@host:22/owner/repo.git`. Undefined if the last two
 * path segments do not look like a repository.
 */
export function parseRemoteRepository(url: string): string | undefined {
  const trimmed = url.trim().replace(/\/+$/, '');
  if (!trimmed) return undefined;
  // scp-like syntax (`user@host:path`) has no scheme; its path follows the first colon.
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)
    ? trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    : trimmed.replace(/^[^/:]*:/, '');
  const parts = path.split('/').filter(Boolean);
  const owner = parts.at(-2);
  const repo = parts.at(-1)?.replace(/\.git$/, '');
  if (!owner || !repo || !NAME.test(owner) || !NAME.test(repo)) return undefined;
  return `${owner}/${repo}`;
}

/** `local/<directory name>` for a checkout without a usable remote (characters S3 keys dislike become `-`). */
export function localRepository(dir: string): string {
  const name =
    basename(dir)
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[.-]+/, '') || 'workspace';
  return `local/${name}`;
}

/** `refs/heads/x` stays as is; a bare branch name becomes `refs/heads/<name>`. */
export function toRef(refOrBranch: string): string {
  return refOrBranch.startsWith('refs/') ? refOrBranch : `refs/heads/${refOrBranch}`;
}

/** `refs/remotes/origin/main` → `main` (what `git symbolic-ref refs/remotes/origin/HEAD` prints). */
export function branchOfRemoteHead(symbolicRef: string): string | undefined {
  const match = /^refs\/remotes\/[^/]+\/(.+)$/.exec(symbolicRef.trim());
  return match?.[1];
}

export interface GitFacts {
  /** `owner/repo` of the `origin` remote (or the first remote). */
  repository: string | undefined;
  /** The checked-out branch; undefined on a detached HEAD. */
  branch: string | undefined;
  /** The remote's default branch, if the clone recorded it. */
  defaultBranch: string | undefined;
}

/** What the checkout in `cwd` says about itself. Never throws: outside a repository every fact is undefined. */
export async function readGitFacts(git: GitRunner, cwd: string): Promise<GitFacts> {
  const [origin, remotes, branch, remoteHead] = await Promise.all([
    git(['remote', 'get-url', 'origin'], cwd),
    git(['remote'], cwd),
    git(['symbolic-ref', '--quiet', '--short', 'HEAD'], cwd),
    git(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'], cwd),
  ]);
  let url = origin;
  const first = remotes?.split('\n')[0]?.trim();
  if (!url && first) url = await git(['remote', 'get-url', first], cwd);
  return {
    repository: url ? parseRemoteRepository(url) : undefined,
    branch: branch || undefined,
    defaultBranch: remoteHead ? branchOfRemoteHead(remoteHead) : undefined,
  };
}
