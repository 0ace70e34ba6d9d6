// Turns the synthesized CloudFormation roles into what a real IAM engine (Ceph RGW here) takes:
// a trust policy and inline permission policies per role, with every CloudFormation intrinsic
// resolved. Translations are deliberate and few, each listed in TRANSLATIONS (and in
// docs/reliability.md): anything else in the template that cannot be resolved fails loudly
// instead of being dropped, so the engine always sees the statements that would be deployed.
import { GITHUB_OIDC_HOST } from '../../src/github-oidc-access.js';

export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface ExtractedRole {
  logicalId: string;
  description: string;
  maxSessionDuration: number | undefined;
  trust: PolicyDocument;
  /** One inline policy per AWS::IAM::Policy resource attached to the role, by resource id. */
  policies: Record<string, PolicyDocument>;
}

/** Where the deployed names point in the lab. */
export interface LabTargets {
  /** Logical id of the cache bucket → its name in the lab. */
  bucketLogicalId: string;
  bucketName: string;
  /** Logical id of the OIDC provider → its ARN in the lab. */
  providerLogicalId: string;
  providerArn: string;
  /** The lab issuer's host (`127.0.0.1:PORT`), which prefixes its condition keys in the lab. */
  issuerHost: string;
}

/** Every change made between the template and the lab, for the record. */
export const TRANSLATIONS = [
  '`Ref` of the OIDC provider → the lab provider ARN (`arn:aws:iam:::oidc-provider/127.0.0.1:PORT`: RGW ARNs carry no account).',
  '`Fn::GetAtt [CacheBucket, Arn]` → `arn:aws:s3:::<lab bucket>`; `Fn::Join` evaluated; `AWS::Partition` → `aws`.',
  'Trust condition keys `token.actions.githubusercontent.com:aud|sub` → `127.0.0.1:PORT:aud|sub`: IAM names the keys after the issuer host, and the lab issuer cannot be GitHub’s.',
  '`s3:PutObjectTagging` is split out of statements conditioned on `s3:RequestObjectTag/type` into a statement with the same resources and no tag condition: RGW 16 never sets `s3:RequestObjectTag` for PutObjectTagging, so the conditioned statement denies every retagging (measured; on AWS it applies). The scope boundary (resources) is unchanged; only the type values of a retag are not checked in the lab.',
  'A resource with a `*` before its end (`P/owner/repo/*/packs/*`, `P/owner/repo/pull/*/packs/*`) is cut after that first `*` (`P/owner/repo/*`, `P/owner/repo/pull/*`): RGW 16 matches a `*` lazily, up to the next occurrence of the character after it, without backtracking, so `*/packs/*` never matches `heads/main/VERSION/KEY/packs/ID.pack` (measured). Only the untagged multipart-continuation statement has such a resource: in the lab its untagged writes reach the whole repository prefix (writer) or the whole `pull/` scope (pull requests), never beyond.',
  'Roles allowed `s3:DeleteObject` on objects also get `s3:DeleteObject` on the bucket ARN: RGW 16 authorises a multi-object delete (DeleteObjects, `POST ?delete`) against the bucket before checking each object, so object-scoped grants alone make every DeleteObjects a 403 (measured). Each object is still checked against the object-scoped statements: the lab test shows a pull-request role deleting nothing outside `pull/` this way.',
] as const;

export interface TranslateOptions {
  /** Apply the RGW workarounds (TRANSLATIONS[3], [4] and [5]). Default true. */
  rgwWorkarounds?: boolean;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

export function extractRole(
  template: Template,
  logicalId: string,
  lab: LabTargets,
  options: TranslateOptions = {},
): ExtractedRole {
  const role = template.Resources[logicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${logicalId} is not a role in the template`);
  const props = role.Properties ?? {};
  for (const unsupported of ['ManagedPolicyArns', 'Policies', 'PermissionsBoundary']) {
    if (props[unsupported] !== undefined)
      throw new Error(`${logicalId} has ${unsupported}: teach extractRole to carry it to the lab`);
  }
  const policies: Record<string, PolicyDocument> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties?.Roles ?? []) as { Ref?: string }[];
    if (!roles.some((r) => r.Ref === logicalId)) continue;
    const document = resolve(resource.Properties?.PolicyDocument, lab) as PolicyDocument;
    if (options.rgwWorkarounds ?? true) {
      document.Statement = document.Statement.flatMap(splitTagging).map(widenInnerWildcards);
      document.Statement.push(...bucketLevelDeletes(document.Statement, `arn:aws:s3:::${lab.bucketName}`));
    }
    policies[id] = document;
  }
  const trust = resolve(props.AssumeRolePolicyDocument, lab) as PolicyDocument;
  for (const statement of trust.Statement) {
    if (!statement.Condition) continue;
    const translated: Record<string, Record<string, unknown>> = {};
    for (const [operator, keys] of Object.entries(statement.Condition)) {
      translated[operator] = Object.fromEntries(
        Object.entries(keys).map(([key, value]) => [
          key.startsWith(`${GITHUB_OIDC_HOST}:`)
            ? `${lab.issuerHost}:${key.slice(GITHUB_OIDC_HOST.length + 1)}`
            : key,
          value,
        ]),
      );
    }
    statement.Condition = translated;
  }
  return {
    logicalId,
    description: String(props.Description ?? ''),
    maxSessionDuration: typeof props.MaxSessionDuration === 'number' ? props.MaxSessionDuration : undefined,
    trust,
    policies,
  };
}

/** Evaluates the intrinsics the repository roles use; anything else is an error. */
export function resolve(value: unknown, lab: LabTargets): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => resolve(v, lab));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && (keys[0]?.startsWith('Fn::') || keys[0] === 'Ref')) {
    if ('Ref' in record) {
      if (record.Ref === lab.providerLogicalId) return lab.providerArn;
      if (record.Ref === 'AWS::Partition') return 'aws';
      throw new Error(`cannot resolve Ref ${String(record.Ref)} in the lab`);
    }
    if ('Fn::GetAtt' in record) {
      const [id, attribute] = record['Fn::GetAtt'] as [string, string];
      if (id === lab.bucketLogicalId && attribute === 'Arn') return `arn:aws:s3:::${lab.bucketName}`;
      if (id === lab.providerLogicalId && attribute === 'Arn') return lab.providerArn;
      throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute} in the lab`);
    }
    if ('Fn::Join' in record) {
      const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(resolve(part, lab))).join(delimiter);
    }
    throw new Error(`cannot resolve ${keys[0]} in the lab`);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v, lab)]));
}

const TAG_CONDITION = 's3:RequestObjectTag/';

/** TRANSLATIONS[3]: PutObjectTagging out of tag-conditioned statements, without the tag condition. */
export function splitTagging(statement: Statement): Statement[] {
  const actions = [statement.Action].flat();
  const conditioned = Object.values(statement.Condition ?? {}).some((keys) =>
    Object.keys(keys).some((key) => key.startsWith(TAG_CONDITION)),
  );
  if (!conditioned || !actions.includes('s3:PutObjectTagging')) return [statement];
  const rest = actions.filter((action) => action !== 's3:PutObjectTagging');
  const condition: Record<string, Record<string, unknown>> = {};
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    const kept = Object.entries(keys).filter(([key]) => !key.startsWith(TAG_CONDITION));
    if (kept.length > 0) condition[operator] = Object.fromEntries(kept);
  }
  const retag: Statement = {
    ...(statement.Sid ? { Sid: `${statement.Sid}RetagRgw` } : {}),
    Effect: statement.Effect,
    Action: 's3:PutObjectTagging',
    ...(statement.Resource !== undefined ? { Resource: statement.Resource } : {}),
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
  return [...(rest.length > 0 ? [{ ...statement, Action: rest }] : []), retag];
}

/** TRANSLATIONS[4]: resources cut after an inner `*`, which RGW 16 cannot match across segments. */
export function widenInnerWildcards(statement: Statement): Statement {
  if (statement.Resource === undefined) return statement;
  const widen = (resource: string) => {
    const star = resource.indexOf('*');
    return star >= 0 && star < resource.length - 1 ? resource.slice(0, star + 1) : resource;
  };
  const resources = [statement.Resource].flat().map(widen);
  return {
    ...statement,
    Resource: resources.length === 1 ? (resources[0] as string) : [...new Set(resources)],
  };
}

/** TRANSLATIONS[5]: s3:DeleteObject on the bucket ARN for roles that may delete objects. */
export function bucketLevelDeletes(statements: readonly Statement[], bucketArn: string): Statement[] {
  return statements
    .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('s3:DeleteObject'))
    .map((s) => ({
      ...(s.Sid ? { Sid: `${s.Sid}BucketRgw` } : {}),
      Effect: 'Allow' as const,
      Action: 's3:DeleteObject',
      Resource: bucketArn,
    }));
}
