import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, parseSize } from './config.js';

const minimal = { repositories: [{ name: 'Octo-Org/My-Repo' }] };

/** The issues of an invalid config (fails the test when the config is accepted). */
function issuesOf(value: unknown): readonly string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('config was accepted');
}

describe('parseConfig defaults', () => {
  it('fills every documented default', () => {
    const config = parseConfig(minimal);
    expect(config).toEqual({
      stackName: 'S3Cache',
      env: undefined,
      disposable: false,
      bucket: {
        name: undefined,
        prefix: '',
        capBytes: 100 * 2 ** 30,
        defaultRepositoryCapBytes: 100 * 2 ** 30,
        kmsKeyArn: undefined,
      },
      retention: { deltaDays: 7, baseMaxAgeDays: 30, accessMarkerDays: 31, reportDays: 30 },
      janitor: {
        schedule: 'rate(6 hours)',
        maxIdleDays: 7,
        pullRequestIdleDays: 3,
        lowWaterRatio: 0.8,
        graceMinutes: 60,
        memoryMiB: 2048,
        logRetentionDays: 30,
      },
      github: { oidcProviderArn: undefined, action: '<org>/s3cache@v1' },
      repositories: [
        {
          name: 'Octo-Org/My-Repo',
          subjectFormat: { kind: 'repository' },
          defaultBranch: 'main',
          trustedRefs: ['refs/heads/main'],
          trustedEnvironments: [],
          trustedSubjects: [],
          capBytes: undefined,
        },
      ],
    });
  });

  it('derives the access-marker expiry from the base max age', () => {
    expect(parseConfig({ ...minimal, retention: { baseMaxAgeDays: 45 } }).retention.accessMarkerDays).toBe(
      46,
    );
  });

  it('derives trusted refs from the default branch', () => {
    const config = parseConfig({ repositories: [{ name: 'o/r', defaultBranch: 'trunk' }] });
    expect(config.repositories[0]?.trustedRefs).toEqual(['refs/heads/trunk']);
  });

  it('keeps an explicitly empty trustedRefs when environments are trusted', () => {
    const config = parseConfig({
      repositories: [{ name: 'o/r', trustedRefs: [], trustedEnvironments: ['cache'] }],
    });
    expect(config.repositories[0]?.trustedRefs).toEqual([]);
    expect(config.repositories[0]?.trustedEnvironments).toEqual(['cache']);
  });

  it('takes immutable subject ids as numbers or strings', () => {
    const config = parseConfig({
      github: { subjectFormat: 'immutable' },
      repositories: [{ name: 'o/r', ownerId: 123, repositoryId: '456' }],
    });
    expect(config.repositories[0]?.subjectFormat).toEqual({
      kind: 'immutable',
      ownerId: '123',
      repositoryId: '456',
    });
  });

  it('lets a repository override the subject format', () => {
    const config = parseConfig({
      github: { subjectFormat: 'immutable' },
      repositories: [{ name: 'o/r', subjectFormat: 'repository' }],
    });
    expect(config.repositories[0]?.subjectFormat).toEqual({ kind: 'repository' });
  });
});

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    ['1024B', 1024],
    ['50GiB', 50 * 2 ** 30],
    ['50gib', 50 * 2 ** 30],
    ['1.5 TB', 1.5e12],
    ['750MB', 750e6],
    ['10 KiB', 10240],
  ])('%s is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([0, -1, 1.5, '', '50', '50 gigs', 'GiB', '-5GiB'])('rejects %s', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});

describe('invalid configs produce specific messages', () => {
  it.each<[string, unknown, string]>([
    ['missing repositories', {}, 'repositories: Invalid input: expected array, received undefined'],
    ['empty repositories', { repositories: [] }, 'repositories: list at least one repository'],
    [
      'name without owner',
      { repositories: [{ name: 'my-repo' }] },
      'repositories[0].name: repository "my-repo" must be written "owner/repo"',
    ],
    [
      'bad owner',
      { repositories: [{ name: 'my_org/repo' }] },
      'repositories[0].name: repository owner "my_org" must be 1-39 letters, digits or hyphens, starting with a letter or digit',
    ],
    ['typo in a key', { ...minimal, bukcet: {} }, '(root): Unrecognized key: "bukcet"'],
    [
      'typo in a nested key',
      { ...minimal, janitor: { maxIdleDay: 3 } },
      'janitor: Unrecognized key: "maxIdleDay"',
    ],
    [
      'unparseable size',
      { ...minimal, bucket: { capBytes: '50 gigs' } },
      'bucket.capBytes: expected a positive size: a number of bytes or a string like "50GiB" or "500MB", got "50 gigs"',
    ],
    [
      'wildcard in the prefix',
      { ...minimal, bucket: { prefix: 'cache/*' } },
      'bucket.prefix: bucket prefix "cache/*" must be slash-separated segments of [A-Za-z0-9._-], without leading or trailing "/"',
    ],
    [
      'trailing slash in the prefix',
      { ...minimal, bucket: { prefix: 'cache/' } },
      'bucket.prefix: bucket prefix "cache/" must be slash-separated segments of [A-Za-z0-9._-], without leading or trailing "/"',
    ],
    [
      'fractional retention',
      { ...minimal, retention: { deltaDays: 1.5 } },
      'retention.deltaDays: must be a whole number of days',
    ],
    [
      'zero retention',
      { ...minimal, retention: { baseMaxAgeDays: 0 } },
      'retention.baseMaxAgeDays: must be at least 1 day',
    ],
    [
      'markers expiring before entries go idle',
      { ...minimal, retention: { accessMarkerDays: 3 } },
      "retention.accessMarkerDays: must be at least janitor.maxIdleDays (7): an expired marker hides an entry's last access from the janitor",
    ],
    [
      'bad schedule',
      { ...minimal, janitor: { schedule: 'every 6 hours' } },
      'janitor.schedule: must be an EventBridge Scheduler expression such as "rate(6 hours)" or "cron(0 */6 * * ? *)"',
    ],
    [
      'singular rate unit with plural value',
      { ...minimal, janitor: { schedule: 'rate(6 hour)' } },
      'janitor.schedule: must be an EventBridge Scheduler expression such as "rate(6 hours)" or "cron(0 */6 * * ? *)"',
    ],
    [
      'low-water ratio above 1',
      { ...minimal, janitor: { lowWaterRatio: 1.5 } },
      'janitor.lowWaterRatio: must be at most 1',
    ],
    [
      'unsupported log retention',
      { ...minimal, janitor: { logRetentionDays: 10 } },
      'janitor.logRetentionDays: Invalid input',
    ],
    [
      'OIDC provider of another issuer',
      {
        ...minimal,
        github: { oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/accounts.google.com' },
      },
      "github.oidcProviderArn: must be the ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com",
    ],
    [
      'KMS alias instead of key',
      { ...minimal, bucket: { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/cache' } },
      'bucket.kmsKeyArn: must be a KMS key ARN (not an alias)',
    ],
    [
      'bad account',
      { ...minimal, env: { account: '1234', region: 'eu-west-1' } },
      'env.account: must be a 12-digit AWS account id',
    ],
    [
      'immutable subjects without ids',
      { github: { subjectFormat: 'immutable' }, repositories: [{ name: 'o/r' }] },
      'repositories[0]: o/r uses immutable OIDC subjects (repo:OWNER@OWNER_ID/REPO@REPO_ID): set ownerId and repositoryId',
    ],
    [
      'duplicate repository differing in case',
      { repositories: [{ name: 'Octo/Repo' }, { name: 'octo/repo' }] },
      'repositories[1].name: octo/repo is already listed at repositories[0] (names are compared case-insensitively, as object keys are lower-cased)',
    ],
    [
      'repository cap above the bucket cap',
      { bucket: { capBytes: '10GiB' }, repositories: [{ name: 'o/r', capBytes: '20GiB' }] },
      'repositories[0].capBytes: 21474836480 bytes exceeds bucket.capBytes (10737418240 bytes)',
    ],
    [
      'default repository cap above the bucket cap',
      { ...minimal, bucket: { capBytes: '10GiB', defaultRepositoryCapBytes: '11GiB' } },
      'bucket.defaultRepositoryCapBytes: 11811160064 bytes exceeds bucket.capBytes (10737418240 bytes)',
    ],
    [
      'pull-request ref trusted',
      { repositories: [{ name: 'o/r', trustedRefs: ['refs/pull/*'] }] },
      'repositories[0].trustedRefs[0]: "refs/pull/*" is a pull-request ref: pull requests must never get the writer role',
    ],
    [
      'short ref name',
      { repositories: [{ name: 'o/r', trustedRefs: ['main'] }] },
      'repositories[0].trustedRefs[0]: "main" must be a full git ref such as "refs/heads/main" ("*" allowed as a wildcard; no spaces, "?", "$" or ":")',
    ],
    [
      'wildcard environment',
      { repositories: [{ name: 'o/r', trustedEnvironments: ['prod*'] }] },
      'repositories[0].trustedEnvironments[0]: "prod*" must be 1-255 characters without "*", "?", "$" or ":"',
    ],
    [
      'trusted subject of another repository',
      { repositories: [{ name: 'o/r', trustedSubjects: ['repo:o/other:ref:refs/heads/main'] }] },
      'repositories[0].trustedSubjects[0]: "repo:o/other:ref:refs/heads/main" must start with "repo:o/r:" and contain no "$"',
    ],
    [
      'nobody trusted',
      { repositories: [{ name: 'o/r', trustedRefs: [] }] },
      'repositories[0]: o/r has no trustedRefs, trustedEnvironments or trustedSubjects: nobody could save to its default branch scope',
    ],
  ])('%s', (_title, value, message) => {
    expect(issuesOf(value)).toContain(message);
  });

  it('lists every problem, one line each, in the error message', () => {
    expect(() =>
      parseConfig({ repositories: [{ name: 'x' }], janitor: { schedule: 'x' } }, 's3cache.config.json'),
    ).toThrowError(
      /^s3cache\.config\.json is invalid:\n {2}- janitor\.schedule: .+\n {2}- repositories\[0\]\.name: /,
    );
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 's3cache-config-'));

  it('reads and validates a file', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(minimal));
    expect(loadConfig(path).repositories[0]?.name).toBe('Octo-Org/My-Repo');
  });

  it('names the file when it is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "repositories": [ }');
    expect(() => loadConfig(path)).toThrowError(new RegExp(`^${path} is invalid:\n {2}- not valid JSON: `));
  });

  it('names the file when it is missing', () => {
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrowError(
      /missing\.json is invalid:\n {2}- cannot read the file: ENOENT/,
    );
  });
});
