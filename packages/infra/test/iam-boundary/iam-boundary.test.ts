// The cache-poisoning boundary on a real policy engine. The CDK stack is synthesized, each
// repository role's trust and permission policies are taken from the template (intrinsics
// resolved, the few translations listed in ./policies.ts), created in the lab's Ceph RGW next to
// an OIDC provider for a loopback issuer; GitHub-shaped tokens signed by the issuer's key are
// exchanged with AssumeRoleWithWebIdentity, and the resulting credentials are used both through
// the real engine (saveCache / restoreCache) and as an attacker would use them (raw S3 calls).
//
// Needs STS and IAM on the endpoint: gated on S3CACHE_TEST_STS=1 (the lab sets it).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type CacheContext,
  createS3Client,
  deleteEntry,
  Layout,
  restoreCache,
  S3CacheError,
  S3Store,
  saveCache,
} from '@s3cache/core';
import { createTestBucket, s3TestConfig, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { S3CacheStack } from '../../src/s3cache-stack.js';
import {
  createSigningKey,
  GITHUB_AUDIENCE,
  githubClaims,
  startTestIssuer,
  type TestIssuer,
} from './oidc-issuer.js';
import { type ExtractedRole, extractRole, TRANSLATIONS } from './policies.js';

const enabled = !s3TestsSkipped() && process.env.S3CACHE_TEST_STS === '1';
const VERSION = 'e'.repeat(64);
const MAIN = 'refs/heads/main';
const PULL = 'refs/pull/7/merge';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const SUB = {
  main: 'repo:acme/app:ref:refs/heads/main',
  pr: 'repo:acme/app:pull_request',
  feature: 'repo:acme/app:ref:refs/heads/feature',
  env: 'repo:acme/app:environment:production',
  otherMain: 'repo:acme/other:ref:refs/heads/main',
  otherPr: 'repo:acme/other:pull_request',
  lookalike: 'repo:acme/app-fork:ref:refs/heads/main',
  upper: 'repo:ACME/APP:ref:refs/heads/main',
  foreignOwner: 'repo:evil/app:ref:refs/heads/main',
} as const;

describe.skipIf(!enabled).each([{ prefix: '' }, { prefix: 'ci' }])(
  'IAM boundary on a real policy engine (Ceph RGW), bucket prefix "$prefix"',
  ({ prefix }) => {
    const config = enabled ? s3TestConfig() : undefined;
    let bucket: TestBucket;
    let issuer: TestIssuer;
    let iam: IAMClient;
    let sts: STSClient;
    let providerArn = '';
    const created: { roleName: string; policies: string[] }[] = [];
    /** `${repository} ${writer|untrusted}` → role ARN in the lab. */
    const roles = new Map<string, string>();
    const extracted = new Map<string, ExtractedRole>();
    /** The acme/app writer's permission policies exactly as synthesized (no RGW workaround). */
    let untranslatedWriter: ExtractedRole;
    const clients: S3Client[] = [];
    let work: string;
    const layout = new Layout(prefix);
    const root = `${layout.prefix}acme/app/`;

    beforeAll(async () => {
      const cfg = config as NonNullable<typeof config>;
      const adminCredentials = { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey };
      bucket = await createTestBucket({ prefix: 's3cache-iam' });
      issuer = await startTestIssuer();
      iam = new IAMClient({ endpoint: cfg.endpoint, region: cfg.region, credentials: adminCredentials });
      sts = new STSClient({ endpoint: cfg.endpoint, region: cfg.region, credentials: adminCredentials });
      work = await fs.mkdtemp(join(tmpdir(), 's3cache-iam-'));
      const provider = await iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: issuer.url,
          ClientIDList: [GITHUB_AUDIENCE],
          ThumbprintList: [issuer.key.thumbprint],
        }),
      );
      providerArn = provider.OpenIDConnectProviderArn ?? '';
      expect(providerArn).toBe(`arn:aws:iam:::oidc-provider/${issuer.host}`);

      const app = new App({ analyticsReporting: false });
      const stack = new S3CacheStack(app, 'S3Cache', {
        config: parseConfig({
          bucket: { prefix },
          repositories: [{ name: 'acme/app' }, { name: 'acme/other' }],
        }),
        janitorCode: Code.fromInline('exports.handler = async () => ({})'),
      });
      const template = Template.fromStack(stack).toJSON() as Parameters<typeof extractRole>[0];
      const idOf = (construct: IConstruct) =>
        stack.getLogicalId(construct.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
      const targets = {
        bucketLogicalId: idOf(stack.cacheBucket.bucket),
        bucketName: bucket.name,
        providerLogicalId: idOf(stack.githubOidc.provider),
        providerArn,
        issuerHost: issuer.host,
      };
      const tag = randomBytes(3).toString('hex');
      untranslatedWriter = extractRole(
        template,
        idOf(stack.repositories.get('acme/app')?.writerRole as IConstruct),
        targets,
        {
          rgwWorkarounds: false,
        },
      );
      for (const [repository, pair] of stack.repositories) {
        for (const [kind, role] of [
          ['writer', pair.writerRole],
          ['untrusted', pair.untrustedRole],
        ] as const) {
          const role_ = extractRole(template, idOf(role), targets);
          extracted.set(`${repository} ${kind}`, role_);
          const roleName = `s3c-${tag}-${repository.replace('/', '-')}-${kind}`;
          const out = await iam.send(
            new CreateRoleCommand({
              RoleName: roleName,
              AssumeRolePolicyDocument: JSON.stringify(role_.trust),
              ...(role_.maxSessionDuration ? { MaxSessionDuration: role_.maxSessionDuration } : {}),
            }),
          );
          const record = { roleName, policies: [] as string[] };
          created.push(record);
          for (const [policyName, document] of Object.entries(role_.policies)) {
            await iam.send(
              new PutRolePolicyCommand({
                RoleName: roleName,
                PolicyName: policyName,
                PolicyDocument: JSON.stringify(document),
              }),
            );
            record.policies.push(policyName);
          }
          roles.set(`${repository} ${kind}`, out.Role?.Arn ?? '');
        }
      }
    });

    afterAll(async () => {
      for (const client of clients) client.destroy();
      for (const { roleName, policies } of created) {
        for (const policy of policies)
          await iam
            .send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy }))
            .catch(() => {});
        await iam.send(new DeleteRoleCommand({ RoleName: roleName })).catch(() => {});
      }
      if (providerArn)
        await iam
          .send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }))
          .catch(() => {});
      iam?.destroy();
      sts?.destroy();
      await issuer?.close();
      await bucket?.cleanup();
      if (work) await fs.rm(work, { recursive: true, force: true });
    });

    const roleArn = (repository: string, kind: 'writer' | 'untrusted') => {
      const arn = roles.get(`${repository} ${kind}`);
      if (!arn) throw new Error(`no ${kind} role for ${repository}`);
      return arn;
    };

    /** AssumeRoleWithWebIdentity as the runner does it: unsigned, with the job's token. */
    async function assume(arn: string, token: string): Promise<Credentials> {
      const cfg = config as NonNullable<typeof config>;
      const anonymous = new STSClient({
        endpoint: cfg.endpoint,
        region: cfg.region,
        credentials: { accessKeyId: '', secretAccessKey: '' },
      });
      try {
        const out = await anonymous.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: arn,
            RoleSessionName: 's3cache-1234-1',
            WebIdentityToken: token,
            DurationSeconds: 900,
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('no credentials');
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
        };
      } finally {
        anonymous.destroy();
      }
    }

    /** The HTTP status of a refused AssumeRoleWithWebIdentity, or 'assumed'. */
    async function tryAssume(arn: string, token: string): Promise<number | 'assumed'> {
      try {
        await assume(arn, token);
        return 'assumed';
      } catch (err) {
        return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
      }
    }

    const tokenFor = (sub: string, extra: Record<string, unknown> = {}) =>
      issuer.token({ ...githubClaims(sub.split(':')[1] ?? '', sub), ...extra });

    function s3(credentials: Credentials): S3Client {
      const cfg = config as NonNullable<typeof config>;
      const client = new S3Client({
        endpoint: cfg.endpoint,
        region: cfg.region,
        forcePathStyle: true,
        credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    }

    function engine(credentials: Credentials): CacheContext {
      const cfg = config as NonNullable<typeof config>;
      const client = createS3Client({
        endpoint: cfg.endpoint,
        region: cfg.region,
        credentials,
        maxAttempts: 2,
      });
      clients.push(client);
      return { store: new S3Store(client, { bucket: bucket.name }), layout };
    }

    async function tree(label: string, bytes = 64 * 1024): Promise<string> {
      const dir = join(work, label);
      await fs.mkdir(join(dir, 'cache/sub'), { recursive: true });
      await fs.writeFile(join(dir, 'cache/sub/a.bin'), randomBytes(bytes));
      await fs.writeFile(join(dir, 'cache/b.txt'), `${label}\n`.repeat(1000));
      return dir;
    }

    const save = (ctx: CacheContext, scope: string, key: string, workspace: string, partSize?: number) =>
      saveCache(ctx, {
        repository: 'acme/app',
        scope,
        version: VERSION,
        key,
        paths: ['cache'],
        workspace,
        ...(partSize ? { partSize } : {}),
      });

    const restore = async (ctx: CacheContext, scopes: string[], key: string) => {
      const target = await fs.mkdtemp(join(work, 'restore-'));
      const result = await restoreCache(ctx, {
        repository: 'acme/app',
        scopes,
        version: VERSION,
        primaryKey: key,
        restoreKeys: [],
        paths: ['cache'],
        workspace: target,
      });
      return { result, target };
    };

    /** Every key under `prefix` with its ETag, listed by the admin. */
    async function snapshot(under: string): Promise<Record<string, string>> {
      const out: Record<string, string> = {};
      let token: string | undefined;
      do {
        const page = await bucket.client.send(
          new ListObjectsV2Command({ Bucket: bucket.name, Prefix: under, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) out[o.Key ?? ''] = o.ETag ?? '';
        token = page.NextContinuationToken;
      } while (token);
      return out;
    }

    const status = async (p: Promise<unknown>): Promise<number | 'ok'> => {
      try {
        await p;
        return 'ok';
      } catch (err) {
        return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
      }
    };

    it('takes every statement from the template with only the documented translations', () => {
      const untrusted = extracted.get('acme/app untrusted') as ExtractedRole;
      const writer = extracted.get('acme/app writer') as ExtractedRole;
      expect(JSON.stringify(writer.trust)).toContain(
        `"${issuer.host}:sub":["repo:acme/app:ref:refs/heads/main"]`,
      );
      expect(JSON.stringify(untrusted.trust)).toContain(
        `"StringLike":{"${issuer.host}:sub":["repo:acme/app:*"]}`,
      );
      const statements = Object.values(untrusted.policies).flatMap((p) => p.Statement);
      expect(statements.map((s) => s.Sid).sort()).toEqual([
        'ContinueMultipartPackUploads',
        'DeletePullRequestEntries',
        'DeletePullRequestEntriesBucketRgw',
        'ListRepositoryPrefix',
        'ReadRepositoryObjects',
        'WriteAccessMarkers',
        'WriteAccessMarkersRetagRgw',
        'WritePullRequestEntries',
        'WritePullRequestEntriesRetagRgw',
      ]);
      expect(JSON.stringify(statements)).toContain(`arn:aws:s3:::${bucket.name}/${root}pull/*`);
      expect(JSON.stringify(statements)).not.toMatch(/Fn::|"Ref"|token\.actions/);
      expect(TRANSLATIONS.length).toBe(6);
    });

    it('trust: each token assumes exactly the roles meant for it', async () => {
      const table: [string, string, 'writer' | 'untrusted', boolean][] = [
        ['default branch', SUB.main, 'writer', true],
        ['default branch', SUB.main, 'untrusted', true],
        ['pull request', SUB.pr, 'writer', false],
        ['pull request', SUB.pr, 'untrusted', true],
        ['feature branch', SUB.feature, 'writer', false],
        ['feature branch', SUB.feature, 'untrusted', true],
        ['environment (not configured as trusted)', SUB.env, 'writer', false],
        ['another repository of the owner', SUB.otherMain, 'writer', false],
        ['another repository of the owner', SUB.otherPr, 'untrusted', false],
        ['a look-alike repository name', SUB.lookalike, 'writer', false],
        ['a look-alike repository name', SUB.lookalike, 'untrusted', false],
        ['another owner', SUB.foreignOwner, 'untrusted', false],
        ['the right name in the wrong case', SUB.upper, 'writer', false],
      ];
      // One after the other: RGW fetches the issuer's discovery document and JWKS for each call.
      for (const [who, sub, kind, allowed] of table) {
        const got = await tryAssume(roleArn('acme/app', kind), tokenFor(sub));
        if (allowed) expect(got, `${who} (${sub}) → ${kind}`).toBe('assumed');
        else expect(refused(got), `${who} (${sub}) → ${kind}: ${got}`).toBe(true);
      }
      // The other repository's own roles work for its own tokens (so isolation below is real).
      expect(await tryAssume(roleArn('acme/other', 'writer'), tokenFor(SUB.otherMain))).toBe('assumed');
    });

    it('refuses expired, premature, foreign-signed, unsigned, mis-addressed and subject-less tokens', async () => {
      const writer = roleArn('acme/app', 'writer');
      const now = Math.floor(Date.now() / 1000);
      const base = githubClaims('acme/app', SUB.main);
      const stranger = createSigningKey('somebody-else');
      const cases: [string, string][] = [
        ['expired', issuer.token({ ...base, iat: now - 7200, nbf: now - 7200, exp: now - 3600 })],
        ['signed by a foreign key (same kid)', issuer.token(base, { signWith: stranger })],
        ['alg none, no signature', issuer.token(base, { header: { alg: 'none' }, signature: '' })],
        ['audience of another service', issuer.token({ ...base, aud: 'https://github.com/acme' })],
        ['another issuer', issuer.token({ ...base, iss: 'https://token.actions.githubusercontent.com' })],
        ['no sub claim', issuer.token({ ...base, sub: undefined })],
        [
          'tampered payload (sub swapped after signing)',
          swapPayload(issuer.token(githubClaims('acme/app', SUB.pr)), base),
        ],
      ];
      for (const [name, token] of cases) {
        const got = await tryAssume(writer, token);
        expect(refused(got), `${name}: ${got}`).toBe(true);
      }
      // And the genuine token still works: the refusals above are about the tokens.
      expect(await tryAssume(writer, issuer.token(base))).toBe('assumed');
    });

    it('a trusted-ref token writes, restores and deletes default-branch entries through the engine', async () => {
      const ctx = engine(await assume(roleArn('acme/app', 'writer'), tokenFor(SUB.main)));
      const source = await tree('main-1');
      expect((await save(ctx, MAIN, 'trusted', source)).outcome).toBe('saved');
      // A second generation (delta) and a multipart pack (parts of 5 MiB) too.
      const big = await tree('main-big', 12 * 1024 * 1024);
      expect((await save(ctx, MAIN, 'trusted-big', big, 5 * 1024 * 1024)).outcome).toBe('saved');
      const { result, target } = await restore(ctx, [MAIN], 'trusted');
      expect(result.cacheHit).toBe(true);
      expect(await fs.readFile(join(target, 'cache/b.txt'), 'utf8')).toBe('main-1\n'.repeat(1000));
      const doomed = await tree('main-doomed');
      expect((await save(ctx, MAIN, 'doomed', doomed)).outcome).toBe('saved');
      const deleted = await deleteEntry(ctx, {
        repository: 'acme/app',
        scope: MAIN,
        version: VERSION,
        key: 'doomed',
      });
      expect(deleted.existed).toBe(true);
    });

    it('a pull_request token reads the default branch and writes only its own pull/ scope', async () => {
      const ctx = engine(await assume(roleArn('acme/app', 'untrusted'), tokenFor(SUB.pr)));
      // Reads what the default branch saved (the previous test), recording access is allowed.
      const fromMain = await restore(ctx, [PULL, MAIN], 'trusted');
      expect(fromMain.result.cacheHit).toBe(true);
      expect(fromMain.result.match?.scope).toBe(MAIN);
      const markers = await snapshot(`${root}access/`);
      expect(Object.keys(markers).some((k) => k.includes('/trusted'))).toBe(true);
      // Writes its own scope, a multipart pack included, and restores it.
      const pr = await tree('pr-1', 12 * 1024 * 1024);
      expect((await save(ctx, PULL, 'pr-entry', pr, 5 * 1024 * 1024)).outcome).toBe('saved');
      const own = await restore(ctx, [PULL, MAIN], 'pr-entry');
      expect(own.result.cacheHit).toBe(true);
      expect(own.result.match?.scope).toBe(PULL);
    });

    it('a pull_request token cannot write the default branch’s scope, by the engine or by hand', async () => {
      const credentials = await assume(roleArn('acme/app', 'untrusted'), tokenFor(SUB.pr));
      const before = await snapshot(`${root}heads/`);
      expect(Object.keys(before).length).toBeGreaterThan(0);

      // 1. The engine: a save into heads/main is refused, as a typed AccessDenied store error.
      const poison = await tree('poison');
      const failure = await save(engine(credentials), MAIN, 'trusted-poisoned', poison).catch(
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(S3CacheError);
      expect((failure as { code?: string }).code).toBe('AccessDenied');

      // 2. By hand, every way to put bytes under heads/.
      const client = s3(credentials);
      const existing = Object.keys(before).find((k) => k.endsWith('/manifest.json')) as string;
      const entryDir = existing.slice(0, -'manifest.json'.length);
      const pullObject = Object.keys(await snapshot(`${root}pull/`))[0];
      const put = (Key: string, Tagging?: string) =>
        client.send(
          new PutObjectCommand({ Bucket: bucket.name, Key, Body: 'poison', ...(Tagging ? { Tagging } : {}) }),
        );
      const attempts: [string, Promise<unknown>][] = [
        ['tagged manifest over an existing entry', put(existing, 'type=manifest')],
        ['tagged update generation', put(`${entryDir}updates/999-x.json`, 'type=manifest')],
        ['untagged pack (multipart continuation statement)', put(`${entryDir}packs/evil.pack`)],
        ['tagged base pack', put(`${entryDir}packs/evil2.pack`, 'type=base')],
        ['access-marker-tagged object under heads/', put(`${entryDir}manifest.json`, 'type=access-marker')],
        [
          'multipart upload of a pack',
          client.send(
            new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: `${entryDir}packs/mp.pack` }),
          ),
        ],
        [
          'copy of its own pull/ object onto heads/',
          client.send(
            new CopyObjectCommand({
              Bucket: bucket.name,
              Key: `${entryDir}packs/copied.pack`,
              CopySource: `${bucket.name}/${pullObject}`,
              TaggingDirective: 'REPLACE',
              Tagging: 'type=base',
            }),
          ),
        ],
        [
          'retagging an existing default-branch object',
          client.send(
            new PutObjectTaggingCommand({
              Bucket: bucket.name,
              Key: existing,
              Tagging: { TagSet: [{ Key: 'type', Value: 'manifest' }] },
            }),
          ),
        ],
        [
          'deleting a default-branch manifest',
          client.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: existing })),
        ],
        [
          'deleting it in a multi-object delete',
          client
            .send(new DeleteObjectsCommand({ Bucket: bucket.name, Delete: { Objects: [{ Key: existing }] } }))
            .then((out) => {
              // RGW answers 200 with per-object errors; turn a reported error into the 403 it is.
              const error = out.Errors?.[0];
              if (error) throw Object.assign(new Error(error.Code), { $metadata: { httpStatusCode: 403 } });
              if (!out.Deleted?.length) throw new Error('neither deleted nor refused');
            }),
        ],
        [
          'a tagged object in tags/ (another trusted scope)',
          put(`${root}tags/v1/${VERSION}/k/manifest.json`, 'type=manifest'),
        ],
        ['a tagged object in other/', put(`${root}other/x/${VERSION}/k/manifest.json`, 'type=manifest')],
        ['an object at the repository root', put(`${root}manifest.json`, 'type=manifest')],
        ['a reserved janitor report', put(`${layout.prefix}_s3cache/reports/x.json`, 'type=report')],
      ];
      // Handlers attached at once: the requests run concurrently, a late handler would leave a rejection unhandled.
      const outcomes = attempts.map(([name, attempt]) => [name, status(attempt)] as const);
      for (const [name, outcome] of outcomes) expect(await outcome, name).toBe(403);

      // 3. Writes it may do, but with the wrong type tag or in the wrong place, are refused too.
      const pullDir = `${root}pull/7%2Fmerge/${VERSION}/x/`;
      expect(await status(put(`${pullDir}manifest.json`, 'type=report')), 'unknown type in pull/').toBe(403);
      // (An untagged write inside pull/ succeeds in the lab only: TRANSLATIONS[4] widened the
      // multipart-continuation statement from pull/*/packs/* to pull/*. Still nothing outside pull/.)
      expect(
        await status(put(`${root}access/heads/main/${VERSION}/k`, 'type=manifest')),
        'manifest in access/',
      ).toBe(403);
      expect(await status(put(`${root}access/heads/main/${VERSION}/k`, 'type=access-marker')), 'marker').toBe(
        'ok',
      );

      // 4. A key with `..` is stored literally (S3 and RGW do not normalise keys): it cannot alias heads/.
      expect(
        await status(put(`${root}pull/../heads/main/${VERSION}/dotdot/manifest.json`, 'type=manifest')),
      ).toBe('ok');
      expect(
        await status(
          client.send(
            new HeadObjectCommand({
              Bucket: bucket.name,
              Key: `${root}heads/main/${VERSION}/dotdot/manifest.json`,
            }),
          ),
        ),
      ).not.toBe('ok');

      // Nothing under heads/ changed: same keys, same ETags.
      expect(await snapshot(`${root}heads/`)).toEqual(before);
      // The default branch still restores its own content, unpoisoned.
      const writer = engine(await assume(roleArn('acme/app', 'writer'), tokenFor(SUB.main)));
      const { result, target } = await restore(writer, [MAIN], 'trusted');
      expect(result.cacheHit).toBe(true);
      expect(await fs.readFile(join(target, 'cache/b.txt'), 'utf8')).toBe('main-1\n'.repeat(1000));
    });

    it('RGW limitation, measured: s3:RequestObjectTag is not evaluated for PutObjectTagging', async () => {
      // The writer's statements exactly as synthesized, in a role of their own.
      const roleName = `s3c-untranslated-${randomBytes(3).toString('hex')}`;
      const out = await iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify(untranslatedWriter.trust),
        }),
      );
      const record = { roleName, policies: [] as string[] };
      created.push(record);
      for (const [policyName, document] of Object.entries(untranslatedWriter.policies)) {
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: policyName,
            PolicyDocument: JSON.stringify(document),
          }),
        );
        record.policies.push(policyName);
      }
      const client = s3(await assume(out.Role?.Arn ?? '', tokenFor(SUB.main)));
      const key = `${root}heads/main/${VERSION}/limit/packs/p.pack`;
      // PutObject: the tag condition is evaluated (allowed with type=base, refused with another type).
      expect(
        await status(
          client.send(
            new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: 'x', Tagging: 'type=base' }),
          ),
        ),
      ).toBe('ok');
      expect(
        await status(
          client.send(
            new PutObjectCommand({ Bucket: bucket.name, Key: `${key}2`, Body: 'x', Tagging: 'type=evil' }),
          ),
        ),
      ).toBe(403);
      // PutObjectTagging with the very same allowed tag: refused, the condition key is never set.
      const retag = (value: string) =>
        client.send(
          new PutObjectTaggingCommand({
            Bucket: bucket.name,
            Key: key,
            Tagging: { TagSet: [{ Key: 'type', Value: value }] },
          }),
        );
      expect(await status(retag('base'))).toBe(403);
      // Hence TRANSLATIONS[3]; with it the writer retags (tested through the engine above).
    });

    it('a token for another repository reads nothing of acme/app and writes nothing there', async () => {
      for (const [kind, sub] of [
        ['writer', SUB.otherMain],
        ['untrusted', SUB.otherPr],
      ] as const) {
        const credentials = await assume(roleArn('acme/other', kind), tokenFor(sub));
        const client = s3(credentials);
        const some = Object.keys(await snapshot(`${root}heads/`))[0] as string;
        const reads: [string, Promise<unknown>][] = [
          ['list acme/app/', client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: root }))],
          ['list the whole bucket', client.send(new ListObjectsV2Command({ Bucket: bucket.name }))],
          [
            'list acme/ (a parent prefix)',
            client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: `${layout.prefix}acme/` })),
          ],
          ['get an acme/app object', client.send(new GetObjectCommand({ Bucket: bucket.name, Key: some }))],
          ['head an acme/app object', client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: some }))],
          [
            'put into acme/app pull/',
            client.send(
              new PutObjectCommand({
                Bucket: bucket.name,
                Key: `${root}pull/1/x`,
                Body: 'x',
                Tagging: 'type=manifest',
              }),
            ),
          ],
        ];
        const outcomes = reads.map(([name, attempt]) => [name, status(attempt)] as const);
        for (const [name, outcome] of outcomes) expect(await outcome, `${kind}: ${name}`).toBe(403);
        // Through the engine: a typed AccessDenied, never a hit.
        const failure = await restore(engine(credentials), [MAIN], 'trusted').catch((e: unknown) => e);
        expect(failure, `${kind}: engine restore`).toBeInstanceOf(S3CacheError);
        expect((failure as { code?: string }).code).toBe('AccessDenied');
        // Its own prefix works (the denial above is the boundary, not a broken role).
        expect(
          await status(
            client.send(
              new ListObjectsV2Command({ Bucket: bucket.name, Prefix: `${layout.prefix}acme/other/` }),
            ),
          ),
        ).toBe('ok');
      }
    });
  },
);

/** AssumeRoleWithWebIdentity refused by the STS (403 for policy refusals; RGW may answer another 4xx). */
function refused(outcome: number | 'assumed'): boolean {
  return typeof outcome === 'number' && outcome >= 400 && outcome < 500;
}

/** A token whose payload was replaced after signing: the signature no longer covers it. */
function swapPayload(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const original = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const forged = Buffer.from(JSON.stringify({ ...original, ...claims })).toString('base64url');
  return `${header}.${forged}.${signature}`;
}
