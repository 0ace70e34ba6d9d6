import { ValidationError } from '@s3cache/core';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit-codes.js';
import { needsGit, resolveRunContext } from './run-context.js';
import { chooseStore, defaultStoreDir, describeStore, parseStoreSpec } from './store-options.js';

const noGit = { repository: undefined, branch: undefined, defaultBranch: undefined };

describe('parseStoreSpec', () => {
  it('reads s3 URLs with and without a prefix', () => {
    expect(parseStoreSpec('s3://bucket', '/cwd')).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(parseStoreSpec('s3://my.bucket/team/cache/', '/cwd')).toEqual({
      kind: 's3',
      bucket: 'my.bucket',
      prefix: 'team/cache',
    });
  });
  it('reads directories and file URLs', () => {
    expect(parseStoreSpec('./store', '/cwd')).toEqual({ kind: 'dir', path: '/cwd/store' });
    expect(parseStoreSpec('/abs/store', '/cwd')).toEqual({ kind: 'dir', path: '/abs/store' });
    expect(parseStoreSpec('file:///var/cache/s3', '/cwd')).toEqual({ kind: 'dir', path: '/var/cache/s3' });
  });
  it('refuses what it cannot use', () => {
    expect(() => parseStoreSpec('', '/cwd')).toThrow(UsageError);
    expect(() => parseStoreSpec('s3://', '/cwd')).toThrow(/invalid bucket/);
    expect(() => parseStoreSpec('gs://bucket', '/cwd')).toThrow(/unsupported store/);
    expect(() => parseStoreSpec('file://host/x', '/cwd')).toThrow(UsageError);
  });
  it('describes stores', () => {
    expect(describeStore({ kind: 's3', bucket: 'b', prefix: 'p' })).toBe('s3://b/p');
    expect(describeStore({ kind: 'dir', path: '/x' })).toBe('/x');
  });
});

describe('defaultStoreDir', () => {
  it('follows each platform’s cache directory convention', () => {
    expect(defaultStoreDir({ env: {}, platform: 'linux', homedir: '/home/me' })).toBe(
      '/home/me/.cache/s3cache/store',
    );
    expect(defaultStoreDir({ env: { XDG_CACHE_HOME: '/xdg' }, platform: 'linux', homedir: '/home/me' })).toBe(
      '/xdg/s3cache/store',
    );
    // A relative XDG_CACHE_HOME is invalid per the spec and ignored.
    expect(defaultStoreDir({ env: { XDG_CACHE_HOME: 'rel' }, platform: 'linux', homedir: '/h' })).toBe(
      '/h/.cache/s3cache/store',
    );
    expect(defaultStoreDir({ env: {}, platform: 'darwin', homedir: '/Users/me' })).toBe(
      '/Users/me/Library/Caches/s3cache/store',
    );
    expect(
      defaultStoreDir({
        env: { LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' },
        platform: 'win32',
        homedir: 'C:\\Users\\me',
      }),
    ).toBe('C:\\Users\\me\\AppData\\Local\\s3cache\\store');
    expect(defaultStoreDir({ env: {}, platform: 'win32', homedir: 'C:\\Users\\me' })).toBe(
      'C:\\Users\\me\\AppData\\Local\\s3cache\\store',
    );
  });
});

describe('chooseStore', () => {
  const facts = { platform: 'linux' as const, homedir: '/home/me', cwd: '/work' };
  it('prefers flags, then S3CACHE_STORE, then the embedded store', () => {
    const env = {
      S3CACHE_STORE: 's3://env-bucket',
      S3CACHE_ENDPOINT: 'http://env',
      AWS_REGION: 'eu-west-1',
      AWS_PROFILE: 'p',
    };
    expect(chooseStore({ store: './s' }, { ...facts, env })).toMatchObject({
      source: 'flag',
      spec: { kind: 'dir', path: '/work/s' },
    });
    expect(chooseStore({}, { ...facts, env })).toEqual({
      source: 'S3CACHE_STORE',
      spec: { kind: 's3', bucket: 'env-bucket', prefix: '' },
      aws: { endpoint: 'http://env', region: 'eu-west-1', profile: 'p' },
    });
    expect(
      chooseStore({ endpoint: 'http://flag', region: 'us-west-2', profile: 'q' }, { ...facts, env }).aws,
    ).toEqual({
      endpoint: 'http://flag',
      region: 'us-west-2',
      profile: 'q',
    });
    expect(chooseStore({}, { ...facts, env: { AWS_DEFAULT_REGION: 'ap-south-1' } })).toEqual({
      source: 'default',
      spec: { kind: 'dir', path: '/home/me/.cache/s3cache/store' },
      aws: { endpoint: undefined, region: 'ap-south-1', profile: undefined },
    });
  });
});

describe('resolveRunContext', () => {
  it('takes flags first', () => {
    const ctx = resolveRunContext(
      { repository: 'Acme/App', ref: 'feature', defaultBranch: 'refs/heads/trunk', workspace: 'sub' },
      { GITHUB_REPOSITORY: 'x/y', GITHUB_REF: 'refs/heads/z' },
      noGit,
      '/work',
    );
    expect(ctx).toEqual({
      repository: 'Acme/App',
      ref: 'refs/heads/feature',
      defaultBranch: 'trunk',
      baseRef: undefined,
      scopes: ['refs/heads/feature', 'refs/heads/trunk'],
      workspace: '/work/sub',
    });
  });
  it('then GitHub Actions variables, reading the base ref only for pull requests', () => {
    const env = {
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_REF: 'refs/pull/3/merge',
      GITHUB_BASE_REF: 'release',
      GITHUB_WORKSPACE: '/gh',
    };
    expect(resolveRunContext({}, env, noGit, '/work')).toMatchObject({
      repository: 'o/r',
      baseRef: 'release',
      scopes: ['refs/pull/3/merge', 'refs/heads/release', 'refs/heads/main'],
      workspace: '/gh',
    });
    expect(
      resolveRunContext({}, { ...env, GITHUB_REF: 'refs/heads/dev' }, noGit, '/work').baseRef,
    ).toBeUndefined();
  });
  it('then git, then fixed defaults', () => {
    const git = { repository: 'g/h', branch: 'topic', defaultBranch: 'develop' };
    expect(resolveRunContext({}, {}, git, '/work')).toMatchObject({
      repository: 'g/h',
      ref: 'refs/heads/topic',
      scopes: ['refs/heads/topic', 'refs/heads/develop'],
    });
    expect(resolveRunContext({}, {}, noGit, '/home/me/proj')).toMatchObject({
      repository: 'local/proj',
      ref: 'refs/heads/main',
      scopes: ['refs/heads/main'],
    });
  });
  it('rejects a malformed repository', () => {
    expect(() => resolveRunContext({ repository: 'nope' }, {}, noGit, '/w')).toThrow(ValidationError);
  });
  it('asks git only when something is missing', () => {
    expect(needsGit({ repository: 'a/b', ref: 'main', defaultBranch: 'main' }, {})).toBe(false);
    expect(
      needsGit({ defaultBranch: 'main' }, { GITHUB_REPOSITORY: 'a/b', GITHUB_REF: 'refs/heads/x' }),
    ).toBe(false);
    expect(needsGit({ repository: 'a/b', ref: 'main' }, {})).toBe(true);
  });
});
