import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import {
  allAllowStatements,
  allowingStatements,
  asArray,
  BUCKET_ARN,
  emptyStack,
  flattenArn,
  mayPerform,
  roleStatements,
  type Statement,
  trustStatements,
} from '../test/helpers.js';
import { RepositoryCacheRoles, type RepositoryCacheRolesProps } from './repository-cache-roles.js';

const PROVIDER_ARN = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

interface Built {
  stack: Stack;
  roles: RepositoryCacheRoles;
  template: Template;
  writer: string;
  untrusted: string;
}

function build(props: Partial<RepositoryCacheRolesProps> = {}): Built {
  const stack = emptyStack();
  const bucket = new s3.Bucket(stack, 'CacheBucket');
  const oidcProvider = iam.OidcProviderNative.fromOidcProviderArn(stack, 'Provider', PROVIDER_ARN);
  const roles = new RepositoryCacheRoles(stack, 'Repo', {
    bucket,
    oidcProvider,
    repository: 'Octo-Org/My-Repo',
    ...props,
  });
  const id = (role: iam.Role): string => stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return {
    stack,
    roles,
    template: Template.fromStack(stack),
    writer: id(roles.writerRole),
    untrusted: id(roles.untrustedRole),
  };
}

const object = (key: string): string => `${BUCKET_ARN}/${key}`;
const ROOT = 'octo-org/my-repo';
const MAIN_MANIFEST = object(`${ROOT}/heads/main/${'a'.repeat(64)}/node-deps/manifest.json`);
const MAIN_PACK = object(`${ROOT}/heads/main/${'a'.repeat(64)}/node-deps/packs/0001.pack`);
const PR_MANIFEST = object(`${ROOT}/pull/42%2Fmerge/${'a'.repeat(64)}/node-deps/manifest.json`);
const PR_PACK = object(`${ROOT}/pull/42%2Fmerge/${'a'.repeat(64)}/node-deps/packs/0001.pack`);
const MARKER = object(`${ROOT}/access/heads/main/${'a'.repeat(64)}/node-deps`);

const TAG_KEY = 's3:RequestObjectTag/type';

describe('trust policies', () => {
  const aud = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };
  const SUB = 'token.actions.githubusercontent.com:sub';

  it('lets only the default branch assume the writer role by default (StringEquals aud and sub)', () => {
    const { template, writer } = build();
    expect(trustStatements(template, writer)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: PROVIDER_ARN },
        Condition: {
          StringEquals: { ...aud, [SUB]: ['repo:Octo-Org/My-Repo:ref:refs/heads/main'] },
        },
      },
    ]);
  });

  it('lets every run of the repository assume the untrusted role (StringLike sub, StringEquals aud)', () => {
    const { template, untrusted } = build();
    expect(trustStatements(template, untrusted)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: PROVIDER_ARN },
        Condition: {
          StringEquals: aud,
          StringLike: { [SUB]: ['repo:Octo-Org/My-Repo:*'] },
        },
      },
    ]);
  });

  it('derives the trusted ref from the default branch', () => {
    const { template, writer } = build({ defaultBranch: 'trunk' });
    expect(trustStatements(template, writer)[0]?.Condition?.StringEquals?.[SUB]).toEqual([
      'repo:Octo-Org/My-Repo:ref:refs/heads/trunk',
    ]);
  });

  it('trusts configured refs and environments', () => {
    const { template, writer } = build({
      trustedRefs: ['refs/heads/main', 'refs/tags/v1'],
      trustedEnvironments: ['cache-writer'],
      trustedSubjects: ['repo:Octo-Org/My-Repo:environment:prod:job_workflow_ref:x'],
    });
    expect(trustStatements(template, writer)[0]?.Condition).toEqual({
      StringEquals: {
        ...aud,
        [SUB]: [
          'repo:Octo-Org/My-Repo:ref:refs/heads/main',
          'repo:Octo-Org/My-Repo:ref:refs/tags/v1',
          'repo:Octo-Org/My-Repo:environment:cache-writer',
          'repo:Octo-Org/My-Repo:environment:prod:job_workflow_ref:x',
        ],
      },
    });
  });

  it('uses StringLike for wildcard refs', () => {
    const { template, writer } = build({ trustedRefs: ['refs/heads/main', 'refs/heads/release/*'] });
    expect(trustStatements(template, writer)[0]?.Condition).toEqual({
      StringEquals: aud,
      StringLike: {
        [SUB]: [
          'repo:Octo-Org/My-Repo:ref:refs/heads/main',
          'repo:Octo-Org/My-Repo:ref:refs/heads/release/*',
        ],
      },
    });
  });

  it('can trust environments only (no ref-based trust for pull_request_target to reuse)', () => {
    const { template, writer } = build({ trustedRefs: [], trustedEnvironments: ['cache-writer'] });
    expect(trustStatements(template, writer)[0]?.Condition?.StringEquals?.[SUB]).toEqual([
      'repo:Octo-Org/My-Repo:environment:cache-writer',
    ]);
  });

  it('supports immutable subjects', () => {
    const { template, writer, untrusted } = build({
      subjectFormat: { kind: 'immutable', ownerId: '123', repositoryId: '456' },
    });
    expect(trustStatements(template, writer)[0]?.Condition?.StringEquals?.[SUB]).toEqual([
      'repo:Octo-Org@123/My-Repo@456:ref:refs/heads/main',
    ]);
    expect(trustStatements(template, untrusted)[0]?.Condition?.StringLike?.[SUB]).toEqual([
      'repo:Octo-Org@123/My-Repo@456:*',
    ]);
  });

  it('never uses ForAllValues in an Allow statement', () => {
    for (const statement of allAllowStatements(build({ trustedRefs: ['refs/heads/r/*'] }).template)) {
      for (const operator of Object.keys(statement.Condition ?? {})) {
        expect(operator).not.toMatch(/^ForAllValues:/);
      }
    }
  });

  it.each<[string, Partial<RepositoryCacheRolesProps>, string]>([
    ['a pull-request ref', { trustedRefs: ['refs/pull/*'] }, 'pull requests must never get the writer role'],
    ['a short ref', { trustedRefs: ['main'] }, 'must start with "refs/"'],
    ['a "?" in a ref', { trustedRefs: ['refs/heads/ma?n'] }, 'must start with "refs/"'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, on purpose
    ['a policy variable', { trustedRefs: ['refs/heads/${aws:username}'] }, 'must start with "refs/"'],
    ['a wildcard environment', { trustedEnvironments: ['prod*'] }, 'trusted environment "prod*"'],
    [
      'another repository subject',
      { trustedSubjects: ['repo:Octo-Org/Other:ref:refs/heads/main'] },
      'must start with "repo:Octo-Org/My-Repo:"',
    ],
    ['nothing trusted', { trustedRefs: [] }, 'nobody could assume the writer role'],
    ['a bad repository', { repository: 'Octo-Org' }, 'must be written "owner/repo"'],
    ['a wildcard repository', { repository: 'Octo-Org/*' }, 'repository name "*"'],
    [
      'non-numeric immutable ids',
      { subjectFormat: { kind: 'immutable', ownerId: 'x', repositoryId: '1' } },
      'numeric ownerId',
    ],
  ])('refuses %s', (_title, props, message) => {
    expect(() => build(props)).toThrowError(message);
  });
});

describe('permission policies', () => {
  const bucketArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheBucket'), 'Arn'] };
  const under = (suffix: string) => ({ 'Fn::Join': ['', [bucketArn, suffix]] });

  it('writer: exact statements', () => {
    const { template, writer } = build();
    expect(roleStatements(template, writer)).toEqual([
      {
        Sid: 'ListRepositoryPrefix',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CacheBucket/), 'Arn'] },
        Condition: { StringLike: { 's3:prefix': [`${ROOT}/`, `${ROOT}/*`] } },
      },
      {
        Sid: 'ReadRepositoryObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectTagging'],
        Resource: expect.anything(),
      },
      {
        Sid: 'WriteRepositoryObjects',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectTagging'],
        Resource: expect.anything(),
        Condition: { StringEquals: { [TAG_KEY]: ['base', 'delta-archive', 'manifest', 'access-marker'] } },
      },
      {
        Sid: 'ContinueMultipartPackUploads',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: expect.anything(),
        Condition: { Null: { [TAG_KEY]: 'true' } },
      },
      {
        Sid: 'DeleteRepositoryObjects',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: expect.anything(),
      },
    ]);
    const resources = Object.fromEntries(
      roleStatements(template, writer).map((statement) => [statement.Sid, flattenArn(statement.Resource)]),
    );
    expect(resources).toEqual({
      ListRepositoryPrefix: BUCKET_ARN,
      ReadRepositoryObjects: object(`${ROOT}/*`),
      WriteRepositoryObjects: object(`${ROOT}/*`),
      ContinueMultipartPackUploads: object(`${ROOT}/*/packs/*`),
      DeleteRepositoryObjects: object(`${ROOT}/*`),
    });
  });

  it('untrusted: exact statements', () => {
    const { template, untrusted } = build();
    const statements = roleStatements(template, untrusted);
    expect(
      statements.map((statement) => ({
        ...statement,
        Resource: asArray(statement.Resource).map((resource) => flattenArn(resource)),
      })),
    ).toEqual([
      {
        Sid: 'ListRepositoryPrefix',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: [BUCKET_ARN],
        Condition: { StringLike: { 's3:prefix': [`${ROOT}/`, `${ROOT}/*`] } },
      },
      {
        Sid: 'ReadRepositoryObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectTagging'],
        Resource: [object(`${ROOT}/*`)],
      },
      {
        Sid: 'WritePullRequestEntries',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectTagging'],
        Resource: [object(`${ROOT}/pull/*`)],
        Condition: { StringEquals: { [TAG_KEY]: ['base', 'delta-archive', 'manifest'] } },
      },
      {
        Sid: 'WriteAccessMarkers',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectTagging'],
        Resource: [object(`${ROOT}/access/*`)],
        Condition: { StringEquals: { [TAG_KEY]: ['access-marker'] } },
      },
      {
        Sid: 'ContinueMultipartPackUploads',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: [object(`${ROOT}/pull/*/packs/*`)],
        Condition: { Null: { [TAG_KEY]: 'true' } },
      },
      {
        Sid: 'DeletePullRequestEntries',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [object(`${ROOT}/pull/*`)],
      },
    ]);
    // The template shape itself (not only the flattened view) scopes the prefix.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Resource: under(`/${ROOT}/pull/*`) })]),
      },
    });
  });

  it('lower-cases owner/repo in object keys and keeps the bucket prefix', () => {
    const { template, untrusted } = build({ prefix: 'ci/cache' });
    const resources = roleStatements(template, untrusted).flatMap((statement) =>
      asArray(statement.Resource).map((resource) => flattenArn(resource)),
    );
    for (const resource of resources) {
      expect(resource === BUCKET_ARN || resource.startsWith(object('ci/cache/octo-org/my-repo/'))).toBe(true);
    }
    expect(roleStatements(template, untrusted)[0]?.Condition).toEqual({
      StringLike: { 's3:prefix': ['ci/cache/octo-org/my-repo/', 'ci/cache/octo-org/my-repo/*'] },
    });
  });

  it('grants no bucket-wide listing and no object action outside the repository prefix', () => {
    const { template, writer, untrusted } = build();
    for (const role of [writer, untrusted]) {
      for (const statement of roleStatements(template, role)) {
        for (const resource of asArray(statement.Resource).map((value) => flattenArn(value))) {
          if (resource === BUCKET_ARN) {
            // The only bucket-level grant is ListBucket, and it is always prefix-conditioned.
            expect(statement.Action).toBe('s3:ListBucket');
            expect(statement.Condition?.StringLike?.['s3:prefix']).toEqual([`${ROOT}/`, `${ROOT}/*`]);
          } else {
            expect(resource.startsWith(object(`${ROOT}/`)), resource).toBe(true);
          }
        }
        for (const action of asArray(statement.Action)) expect(action).not.toContain('*');
      }
      expect(mayPerform(roleStatements(template, role), 's3:ListBucket', BUCKET_ARN)).toBe(true);
      expect(
        mayPerform(roleStatements(template, role), 's3:GetObject', object('octo-org/other-repo/x')),
      ).toBe(false);
      expect(mayPerform(roleStatements(template, role), 's3:GetObject', object('_s3cache/report.json'))).toBe(
        false,
      );
    }
  });

  it('requires an allowed type tag on every tagged write and on PutObjectTagging', () => {
    const { template, writer, untrusted } = build();
    for (const role of [writer, untrusted]) {
      const statements = roleStatements(template, role);
      for (const statement of statements) {
        const actions = asArray(statement.Action);
        if (actions.includes('s3:PutObjectTagging')) {
          expect(Object.keys(statement.Condition?.StringEquals ?? {})).toEqual([TAG_KEY]);
        }
        if (actions.includes('s3:PutObject')) {
          const tagged = statement.Condition?.StringEquals?.[TAG_KEY] !== undefined;
          const untaggedPacksOnly =
            statement.Condition?.Null?.[TAG_KEY] === 'true' &&
            flattenArn(statement.Resource).endsWith('/packs/*');
          expect(tagged || untaggedPacksOnly, statement.Sid).toBe(true);
        }
      }
    }
  });

  it('gives KMS access through S3 only, when the bucket uses a KMS key', () => {
    const stack = emptyStack();
    const key = kms.Key.fromKeyArn(
      stack,
      'Key',
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    const roles = new RepositoryCacheRoles(stack, 'Repo', {
      bucket: new s3.Bucket(stack, 'CacheBucket'),
      encryptionKey: key,
      oidcProvider: iam.OidcProviderNative.fromOidcProviderArn(stack, 'Provider', PROVIDER_ARN),
      repository: 'o/r',
    });
    const template = Template.fromStack(stack);
    for (const role of [roles.writerRole, roles.untrustedRole]) {
      const statements = roleStatements(template, stack.getLogicalId(role.node.defaultChild as iam.CfnRole));
      expect(statements.find((statement) => statement.Sid === 'UseBucketKeyViaS3')).toEqual({
        Sid: 'UseBucketKeyViaS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      });
    }
  });
});

describe('cache poisoning boundary', () => {
  const writeActions = ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'];

  it('the untrusted role can never write, tag or delete the default branch scope', () => {
    // A test that fails whenever any Allow of a write action matches heads/main, whatever its
    // conditions (the caller controls tags, so conditions do not protect this boundary).
    for (const props of [{}, { prefix: 'ci' }, { trustedRefs: ['refs/heads/*'] }]) {
      const { template, untrusted } = build(props);
      const statements = roleStatements(template, untrusted);
      const prefix = 'prefix' in props ? `${props.prefix}/` : '';
      for (const action of writeActions) {
        for (const key of [MAIN_MANIFEST, MAIN_PACK].map((arn) =>
          arn.replace(`${BUCKET_ARN}/`, `${BUCKET_ARN}/${prefix}`),
        )) {
          expect(allowingStatements(statements, action, key), `${action} ${key}`).toEqual([]);
        }
      }
    }
  });

  it.each(['heads/main', 'heads/release%2F1.x', 'tags/v1.0.0', 'other/refs%2Fnotes%2Fx'])(
    'the untrusted role cannot write %s',
    (scope) => {
      const { template, untrusted } = build();
      const statements = roleStatements(template, untrusted);
      for (const suffix of ['manifest.json', 'packs/1.pack', 'updates/1-a.json']) {
        expect(mayPerform(statements, 's3:PutObject', object(`${ROOT}/${scope}/v/k/${suffix}`))).toBe(false);
      }
    },
  );

  it('the untrusted role can save pull-request entries and refresh access markers, and delete only pull/', () => {
    const { template, untrusted } = build();
    const statements = roleStatements(template, untrusted);
    expect(mayPerform(statements, 's3:PutObject', PR_MANIFEST)).toBe(true);
    expect(mayPerform(statements, 's3:PutObject', PR_PACK)).toBe(true);
    expect(mayPerform(statements, 's3:PutObject', MARKER)).toBe(true);
    expect(mayPerform(statements, 's3:GetObject', MAIN_MANIFEST)).toBe(true);
    expect(mayPerform(statements, 's3:DeleteObject', PR_PACK)).toBe(true);
    expect(mayPerform(statements, 's3:DeleteObject', MARKER)).toBe(false);
    expect(mayPerform(statements, 's3:DeleteObject', MAIN_MANIFEST)).toBe(false);
    // Untagged writes (multipart continuation) only reach pull-request packs.
    const untagged = statements.filter((statement) => statement.Condition?.Null !== undefined);
    expect(mayPerform(untagged, 's3:PutObject', PR_MANIFEST)).toBe(false);
    expect(mayPerform(untagged, 's3:PutObject', MARKER)).toBe(false);
  });

  it('the writer role can save, refresh and evict the default branch scope', () => {
    const { template, writer } = build();
    const statements = roleStatements(template, writer);
    for (const action of writeActions)
      expect(mayPerform(statements, action, MAIN_MANIFEST), action).toBe(true);
  });

  it('the check itself catches a policy that would allow the default branch scope', () => {
    // Guards the guard: the same evaluation flags a repository-wide write grant.
    const broken: Statement[] = [
      {
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['CacheBucket1', 'Arn'] }, `/${ROOT}/*`]] },
        Condition: { StringEquals: { [TAG_KEY]: ['base'] } },
      },
    ];
    expect(mayPerform(broken, 's3:PutObject', MAIN_MANIFEST)).toBe(true);
    expect(
      mayPerform([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }], 's3:PutObject', MAIN_MANIFEST),
    ).toBe(true);
    expect(
      mayPerform(
        [{ Effect: 'Allow', Action: 's3:Put*', Resource: `${BUCKET_ARN}/${ROOT}/h*` }],
        's3:PutObject',
        MAIN_MANIFEST,
      ),
    ).toBe(true);
  });
});

describe('construct surface', () => {
  it('exposes the object root and subject prefix', () => {
    const { roles } = build({ prefix: 'p' });
    expect(roles.objectRoot).toBe('p/octo-org/my-repo');
    expect(roles.subjectPrefix).toBe('repo:Octo-Org/My-Repo');
    expect(roles.trustedSubjects).toEqual(['repo:Octo-Org/My-Repo:ref:refs/heads/main']);
  });

  it('sets a one-hour session by default and describes both roles', () => {
    const { template } = build();
    template.resourcePropertiesCountIs('AWS::IAM::Role', { MaxSessionDuration: 3600 }, 2);
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('writer for Octo-Org/My-Repo'),
    });
  });

  it('accepts an imported bucket', () => {
    const stack = new Stack();
    const roles = new RepositoryCacheRoles(stack, 'Repo', {
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'my-cache'),
      oidcProvider: iam.OidcProviderNative.fromOidcProviderArn(stack, 'Provider', PROVIDER_ARN),
      repository: 'o/r',
    });
    const statements = roleStatements(
      Template.fromStack(stack),
      stack.getLogicalId(roles.writerRole.node.defaultChild as iam.CfnRole),
    );
    expect(flattenArn(statements[1]?.Resource)).toBe('arn:aws:s3:::my-cache/o/r/*');
  });
});
