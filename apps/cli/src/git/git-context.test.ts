import { describe, expect, it } from 'vitest';
import {
  branchOfRemoteHead,
  localRepository,
  parseRemoteRepository,
  readGitFacts,
  toRef,
} from './git-context.js';

describe('parseRemoteRepository', () => {
  it.each([
    ['git@github.com:acme/widgets.git', 'acme/widgets'],
    ['https://github.com/acme/widgets', 'acme/widgets'],
    ['https://github.com/acme/widgets.git/', 'acme/widgets'],
    ['ssh://git@github.example.com:2222/acme/widgets.git', 'acme/widgets'],
    ['https://gitlab.com/group/subgroup/project.git', 'subgroup/project'],
    ['/srv/git/acme/widgets.git', 'acme/widgets'],
  ])('%s → %s', (url, repository) => expect(parseRemoteRepository(url)).toBe(repository));
  it.each(['', 'widgets', 'https://github.com/', 'git@host:we ird/na me'])('rejects %j', (url) =>
    expect(parseRemoteRepository(url)).toBeUndefined(),
  );
});

describe('local defaults', () => {
  it('names a repository after the directory, safely', () => {
    expect(localRepository('/home/me/my project')).toBe('local/my-project');
    expect(localRepository('/tmp/.hidden')).toBe('local/hidden');
    expect(localRepository('/')).toBe('local/workspace');
  });
  it('turns branch names into refs', () => {
    expect(toRef('main')).toBe('refs/heads/main');
    expect(toRef('refs/tags/v1')).toBe('refs/tags/v1');
    expect(branchOfRemoteHead('refs/remotes/origin/trunk\n')).toBe('trunk');
    expect(branchOfRemoteHead('HEAD')).toBeUndefined();
  });
});

describe('readGitFacts', () => {
  it('asks git for the remote, the branch and the remote default branch', async () => {
    const answers: Record<string, string> = {
      'remote get-url origin': 'git@github.com:acme/widgets.git',
      'symbolic-ref --quiet --short HEAD': 'feature/x',
      'symbolic-ref --quiet refs/remotes/origin/HEAD': 'refs/remotes/origin/develop',
    };
    const facts = await readGitFacts(async (args) => answers[args.join(' ')], '/repo');
    expect(facts).toEqual({ repository: 'acme/widgets', branch: 'feature/x', defaultBranch: 'develop' });
  });
  it('falls back to the first remote, and knows nothing outside a repository', async () => {
    const answers: Record<string, string> = {
      remote: 'upstream\nfork',
      'remote get-url upstream': 'https://x/o/r',
    };
    expect(await readGitFacts(async (args) => answers[args.join(' ')], '/repo')).toEqual({
      repository: 'o/r',
      branch: undefined,
      defaultBranch: undefined,
    });
    expect(await readGitFacts(async () => undefined, '/')).toEqual({
      repository: undefined,
      branch: undefined,
      defaultBranch: undefined,
    });
  });
});
