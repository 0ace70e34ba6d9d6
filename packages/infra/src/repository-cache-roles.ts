import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { BucketRef } from './bucket-ref.js';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST } from './github-oidc-access.js';
import {
  ENTRY_OBJECT_TYPES,
  ObjectType,
  type ObjectTypeValue,
  parseRepositoryName,
  repositoryRoot,
} from './layout.js';
import { acknowledgeWildcardResources } from './nag.js';

/**
 * How GitHub spells the repository in the OIDC `sub` claim.
 * - `repository`: `repo:OWNER/REPO:...` (repositories created before mid-2026, unless opted in);
 * - `immutable`: `repo:OWNER@OWNER_ID/REPO@REPO_ID:...` (newer repositories, renames, transfers,
 *   and repositories that opted in), which a recycled name cannot impersonate.
 */
export type GithubSubjectFormat =
  | { readonly kind: 'repository' }
  | { readonly kind: 'immutable'; readonly ownerId: string; readonly repositoryId: string };

export interface RepositoryCacheRolesProps {
  /** The cache bucket. */
  readonly bucket: BucketRef;
  /**
   * The bucket's KMS key, when it uses SSE-KMS: both roles get Decrypt/GenerateDataKey on it, via S3 only.
   * @default - SSE-S3, no KMS permissions
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Bucket key prefix (`P` in docs/layout.md), without trailing slash.
   * @default ''
   */
  readonly prefix?: string;
  /** The account's GitHub OIDC provider (see {@link GithubOidcAccess}). */
  readonly oidcProvider: iam.IOidcProvider;
  /**
   * `owner/repo`, spelled with GitHub's case: IAM compares `sub` case-sensitively. Object keys
   * use the lower-cased form.
   */
  readonly repository: string;
  /** @default { kind: 'repository' } */
  readonly subjectFormat?: GithubSubjectFormat;
  /**
   * Used only to derive the default of `trustedRefs`.
   * @default 'main'
   */
  readonly defaultBranch?: string;
  /**
   * Git refs whose workflow runs may assume the writer role (`sub` = `...:ref:<ref>`). `*` is
   * a wildcard (StringLike). Note that `pull_request_target` runs carry the base branch's ref.
   * @default [`refs/heads/${defaultBranch}`]
   */
  readonly trustedRefs?: readonly string[];
  /**
   * GitHub environments whose jobs may assume the writer role (`sub` = `...:environment:<name>`).
   * @default []
   */
  readonly trustedEnvironments?: readonly string[];
  /**
   * Complete `sub` values also trusted for the writer role, for repositories with a customised
   * subject claim template. Each must start with this repository's subject prefix.
   * @default []
   */
  readonly trustedSubjects?: readonly string[];
  /**
   * Maximum session length of both roles.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

const SUB_KEY = `${GITHUB_OIDC_HOST}:sub`;
const AUD_KEY = `${GITHUB_OIDC_HOST}:aud`;
const TYPE_TAG_KEY = 's3:RequestObjectTag/type';
// Git forbids `?`, `*` and `:` in ref names, so `*` can be reserved as the wildcard; `?` and `$`
// (policy variables) are refused outright so a ref can never match more than written.
const REF_PATTERN = /^refs\/[^?$\s:\\[~^]+$/;
const ENVIRONMENT_PATTERN = /^[^*?$:]{1,255}$/;

/**
 * The two roles of one repository, assumable only through GitHub OIDC:
 * - the writer (trusted refs and environments): read, write and delete under `P/owner/repo/`;
 * - the untrusted role (pull requests and every other ref): read under `P/owner/repo/`, write only
 *   pull-request scopes (`pull/`) and access markers (`access/`), delete only under `pull/`.
 *
 * A pull request can therefore never write an entry that the default branch (scope `heads/`)
 * restores: the cache-poisoning boundary is IAM, not convention.
 */
export class RepositoryCacheRoles extends Construct {
  readonly writerRole: iam.Role;
  readonly untrustedRole: iam.Role;
  /** `owner/repo` as given (GitHub's case). */
  readonly repository: string;
  /** `P/owner/repo`, lower-cased, without trailing slash. */
  readonly objectRoot: string;
  /** `repo:OWNER/REPO` or its immutable form: what every `sub` of this repository starts with. */
  readonly subjectPrefix: string;
  /** The `sub` values (or StringLike patterns) the writer role trusts. */
  readonly trustedSubjects: readonly string[];

  private readonly bucket: BucketRef;

  constructor(scope: Construct, id: string, props: RepositoryCacheRolesProps) {
    super(scope, id);
    const name = parseRepositoryName(props.repository);
    this.repository = props.repository;
    this.bucket = props.bucket;
    this.objectRoot = repositoryRoot(props.prefix ?? '', name);
    this.subjectPrefix = subjectPrefix(name.owner, name.repo, props.subjectFormat ?? { kind: 'repository' });
    this.trustedSubjects = this.buildTrustedSubjects(props);
    const maxSessionDuration = props.maxSessionDuration ?? Duration.hours(1);

    this.writerRole = new iam.Role(this, 'WriterRole', {
      description: `s3cache writer for ${props.repository} (trusted refs/environments): read, write and delete its cache`,
      assumedBy: githubPrincipal(props.oidcProvider, this.trustedSubjects),
      maxSessionDuration,
    });
    this.untrustedRole = new iam.Role(this, 'UntrustedRole', {
      description: `s3cache role for ${props.repository} pull requests and other refs: read its cache, write only pull/ and access/`,
      assumedBy: githubPrincipal(props.oidcProvider, [`${this.subjectPrefix}:*`]),
      maxSessionDuration,
    });

    const root = this.objectRoot;
    const everything = this.objects(`${root}/*`);
    const packs = this.objects(`${root}/*/packs/*`);
    this.grantListAndRead(this.writerRole);
    this.grantTaggedWrites(
      this.writerRole,
      'WriteRepositoryObjects',
      [everything],
      [...ENTRY_OBJECT_TYPES, ObjectType.accessMarker],
    );
    this.grantMultipartContinuation(this.writerRole, [packs]);
    this.grantDeletes(this.writerRole, 'DeleteRepositoryObjects', [everything]);
    const repository = props.repository;
    acknowledgeWildcardResources(this.writerRole, [
      [
        everything,
        `Trusted runs of ${repository} save, restore and evict entries anywhere in the repository's own prefix ` +
          `${root}/; object keys (scope, version, key, pack id) exist only at run time. Writes must carry a type tag.`,
      ],
      [
        packs,
        `UploadPart and CompleteMultipartUpload of ${repository}'s pack uploads cannot carry the type tag ` +
          `(given to CreateMultipartUpload); untagged writes are limited to pack keys under ${root}/.`,
      ],
    ]);

    const pull = this.objects(`${root}/pull/*`);
    const access = this.objects(`${root}/access/*`);
    const pullPacks = this.objects(`${root}/pull/*/packs/*`);
    this.grantListAndRead(this.untrustedRole);
    this.grantTaggedWrites(this.untrustedRole, 'WritePullRequestEntries', [pull], ENTRY_OBJECT_TYPES);
    this.grantTaggedWrites(this.untrustedRole, 'WriteAccessMarkers', [access], [ObjectType.accessMarker]);
    this.grantMultipartContinuation(this.untrustedRole, [pullPacks]);
    this.grantDeletes(this.untrustedRole, 'DeletePullRequestEntries', [pull]);
    acknowledgeWildcardResources(this.untrustedRole, [
      [
        everything,
        `Pull-request runs of ${repository} restore from the default branch and their own scope, so they read ` +
          `(GetObject/GetObjectTagging only) any entry of the repository's prefix ${root}/.`,
      ],
      [
        pull,
        `Pull-request runs of ${repository} save and delete entries only in pull-request scopes ${root}/pull/, ` +
          'never heads/, tags/ or other/, so they cannot poison what trusted refs restore.',
      ],
      [
        access,
        `Restores by pull-request runs of ${repository} refresh access markers under ${root}/access/ ` +
          '(type=access-marker only): they tell the janitor what is in use, and cannot replace cache content.',
      ],
      [
        pullPacks,
        `UploadPart and CompleteMultipartUpload of ${repository}'s pull-request pack uploads cannot carry the ` +
          `type tag; untagged writes are limited to pack keys under ${root}/pull/.`,
      ],
    ]);

    if (props.encryptionKey !== undefined) {
      for (const role of [this.writerRole, this.untrustedRole]) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'UseBucketKeyViaS3',
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [props.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
          }),
        );
      }
    }
  }

  private objects(pattern: string): string {
    return this.bucket.arnForObjects(pattern);
  }

  private buildTrustedSubjects(props: RepositoryCacheRolesProps): string[] {
    const defaultBranch = props.defaultBranch ?? 'main';
    const refs = props.trustedRefs ?? [`refs/heads/${defaultBranch}`];
    const environments = props.trustedEnvironments ?? [];
    const raw = props.trustedSubjects ?? [];
    for (const ref of refs) {
      if (!REF_PATTERN.test(ref)) {
        throw new Error(
          `${props.repository}: trusted ref "${ref}" must start with "refs/" and contain no spaces, "?", "$", ":" or other characters git forbids`,
        );
      }
      if (ref.startsWith('refs/pull/')) {
        throw new Error(
          `${props.repository}: trusted ref "${ref}" is a pull-request ref; pull requests must never get the writer role`,
        );
      }
    }
    for (const environment of environments) {
      if (!ENVIRONMENT_PATTERN.test(environment)) {
        throw new Error(
          `${props.repository}: trusted environment "${environment}" must be 1-255 characters without "*", "?", "$" or ":"`,
        );
      }
    }
    for (const subject of raw) {
      if (!subject.startsWith(`${this.subjectPrefix}:`) || subject.includes('$')) {
        throw new Error(
          `${props.repository}: trusted subject "${subject}" must start with "${this.subjectPrefix}:" and contain no "$"`,
        );
      }
    }
    const subjects = [
      ...refs.map((ref) => `${this.subjectPrefix}:ref:${ref}`),
      ...environments.map((environment) => `${this.subjectPrefix}:environment:${environment}`),
      ...raw,
    ];
    if (subjects.length === 0) {
      throw new Error(
        `${props.repository}: no trusted refs, environments or subjects: nobody could assume the writer role`,
      );
    }
    return [...new Set(subjects)];
  }

  private grantListAndRead(role: iam.Role): void {
    const root = this.objectRoot;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListRepositoryPrefix',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${root}/`, `${root}/*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRepositoryObjects',
        actions: ['s3:GetObject', 's3:GetObjectTagging'],
        resources: [this.objects(`${root}/*`)],
      }),
    );
  }

  private grantTaggedWrites(
    role: iam.Role,
    sid: string,
    resources: string[],
    types: readonly ObjectTypeValue[],
  ): void {
    // Applies to PutObject, CreateMultipartUpload (both carry x-amz-tagging) and PutObjectTagging.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid,
        actions: ['s3:PutObject', 's3:PutObjectTagging'],
        resources,
        conditions: { StringEquals: { [TYPE_TAG_KEY]: [...types] } },
      }),
    );
  }

  private grantMultipartContinuation(role: iam.Role, resources: string[]): void {
    // UploadPart and CompleteMultipartUpload are authorised as s3:PutObject but S3 refuses a
    // tagging header on them (the tags were given to CreateMultipartUpload), so a tag condition
    // alone would make every multipart upload fail. Untagged writes are therefore allowed, but
    // only on pack keys: the only objects large enough to need multipart uploads.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ContinueMultipartPackUploads',
        actions: ['s3:PutObject'],
        resources,
        conditions: { Null: { [TYPE_TAG_KEY]: 'true' } },
      }),
    );
  }

  private grantDeletes(role: iam.Role, sid: string, resources: string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid,
        actions: ['s3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources,
      }),
    );
  }
}

/** `repo:OWNER/REPO` or `repo:OWNER@ID/REPO@ID`. */
export function subjectPrefix(owner: string, repo: string, format: GithubSubjectFormat): string {
  if (format.kind === 'repository') return `repo:${owner}/${repo}`;
  if (!/^\d+$/.test(format.ownerId) || !/^\d+$/.test(format.repositoryId)) {
    throw new Error(`${owner}/${repo}: immutable subjects need numeric ownerId and repositoryId`);
  }
  return `repo:${owner}@${format.ownerId}/${repo}@${format.repositoryId}`;
}

function githubPrincipal(provider: iam.IOidcProvider, subjects: readonly string[]): iam.WebIdentityPrincipal {
  // Plain StringEquals/StringLike (never ForAllValues:, which is true when the claim is absent).
  const wildcard = subjects.some((subject) => subject.includes('*'));
  return new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
    StringEquals: {
      [AUD_KEY]: GITHUB_OIDC_AUDIENCE,
      ...(wildcard ? {} : { [SUB_KEY]: [...subjects] }),
    },
    ...(wildcard ? { StringLike: { [SUB_KEY]: [...subjects] } } : {}),
  });
}
