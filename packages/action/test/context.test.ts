import { describe, expect, it } from 'vitest';
import {
  clearRequest,
  isSupported,
  parseEventPayload,
  readRunContext,
  unsupportedReason,
} from '../src/context.js';

describe('event payload', () => {
  it('reads the default branch, the head commit message and a merge group base', () => {
    expect(
      parseEventPayload(
        JSON.stringify({
          repository: { default_branch: 'trunk' },
          head_commit: { message: 'fix [ci-clear-cache]' },
          merge_group: { base_ref: 'refs/heads/trunk' },
        }),
      ),
    ).toEqual({
      defaultBranch: 'trunk',
      headCommitMessage: 'fix [ci-clear-cache]',
      mergeGroupBaseRef: 'refs/heads/trunk',
    });
  });

  it('tolerates a missing, empty or broken payload', () => {
    expect(parseEventPayload(undefined)).toEqual({});
    expect(parseEventPayload('')).toEqual({});
    expect(parseEventPayload('{not json')).toEqual({});
    expect(parseEventPayload('null')).toEqual({});
    expect(
      parseEventPayload(JSON.stringify({ repository: { default_branch: 7 }, head_commit: null })),
    ).toEqual({});
  });
});

describe('run context', () => {
  const files: Record<string, string> = {
    '/pr.json': JSON.stringify({
      repository: { default_branch: 'main' },
      pull_request: { title: '[ci-clear-cache]' },
    }),
    '/mq.json': JSON.stringify({
      repository: { default_branch: 'main' },
      merge_group: { base_ref: 'refs/heads/main' },
    }),
  };
  const readFile = (p: string) => files[p];

  it('reads a pull request run', () => {
    const context = readRunContext(
      {
        GITHUB_REF: 'refs/pull/7/merge',
        GITHUB_BASE_REF: 'release/1',
        GITHUB_REPOSITORY: 'Acme/App',
        GITHUB_WORKSPACE: '/w',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: '/pr.json',
      },
      readFile,
    );
    // A pull request's title is not a commit message: no clearing from it.
    expect(context).toEqual({
      ref: 'refs/pull/7/merge',
      baseRef: 'release/1',
      defaultBranch: 'main',
      repository: 'Acme/App',
      workspace: '/w',
      eventName: 'pull_request',
    });
    expect(isSupported(context)).toBe(true);
  });

  it('uses the merge group base as the base ref in merge queues', () => {
    const context = readRunContext(
      {
        GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-1-abc',
        GITHUB_BASE_REF: '',
        GITHUB_REPOSITORY: 'a/b',
        GITHUB_EVENT_PATH: '/mq.json',
      },
      readFile,
    );
    expect(context.baseRef).toBe('refs/heads/main');
  });

  it('falls back to the working directory without GITHUB_WORKSPACE', () => {
    expect(
      readRunContext(
        {},
        () => undefined,
        () => '/cwd',
      ),
    ).toEqual({ workspace: '/cwd' });
  });

  it('explains why a run without a ref or repository is skipped', () => {
    expect(unsupportedReason({ workspace: '/w', eventName: 'workflow_run', repository: 'a/b' })).toMatch(
      /^Event Validation Error: the event type workflow_run is not supported because it's not tied to a branch or tag ref/,
    );
    expect(unsupportedReason({ workspace: '/w', ref: 'refs/heads/x' })).toMatch(
      /GITHUB_REPOSITORY is not set/,
    );
    expect(isSupported({ workspace: '/w', ref: 'refs/heads/x' })).toBe(false);
  });
});

describe('clearing', () => {
  it('clears for the input or the tag in the head commit message', () => {
    expect(clearRequest(true, undefined)).toBe('clear-cache: true');
    expect(clearRequest(false, 'Bump deps\n\n[ci-clear-cache]')).toBe(
      '[ci-clear-cache] in the head commit message',
    );
    expect(clearRequest(false, 'ci-clear-cache without brackets')).toBeUndefined();
    expect(clearRequest(false, undefined)).toBeUndefined();
  });
});
