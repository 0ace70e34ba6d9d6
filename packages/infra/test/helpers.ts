import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type S3CacheConfig } from '../src/config.js';
import { S3CacheStack } from '../src/s3cache-stack.js';

export const BUCKET_ARN = 'arn:aws:s3:::BUCKET';

/** A config with one repository and every default, merged with `overrides`. */
export function testConfig(overrides: Record<string, unknown> = {}): S3CacheConfig {
  return parseConfig({ repositories: [{ name: 'Octo-Org/My-Repo' }], ...overrides });
}

export interface Synthesised {
  app: App;
  stack: S3CacheStack;
  template: Template;
}

const synthesised = new Map<string, Synthesised>();

/**
 * The stack for `testConfig(overrides)`, synthesised once per test file: synthesis dominates the
 * test time and nothing here mutates an app after synthesis.
 */
export function synthStack(overrides: Record<string, unknown> = {}): Synthesised {
  const key = JSON.stringify(overrides);
  let result = synthesised.get(key);
  if (result === undefined) {
    const app = new App({ analyticsReporting: false });
    const stack = new S3CacheStack(app, 'S3Cache', { config: testConfig(overrides) });
    result = { app, stack, template: Template.fromStack(stack) };
    synthesised.set(key, result);
  }
  return result;
}

export function emptyStack(): Stack {
  return new Stack(new App({ analyticsReporting: false }), 'Test');
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the identity policies attached to the role with `roleLogicalId`. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const statements: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const roles = policy.Properties.Roles as Array<{ Ref?: string }>;
    if (roles.some((role) => role.Ref === roleLogicalId)) {
      statements.push(...(policy.Properties.PolicyDocument.Statement as Statement[]));
    }
  }
  return statements;
}

export function trustStatements(template: Template, roleLogicalId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  if (role === undefined) throw new Error(`no role ${roleLogicalId}`);
  return role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
}

export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}

/**
 * A CloudFormation value as a plain string: the cache bucket's ARN becomes `BUCKET_ARN`,
 * pseudo parameters their `aws` defaults, other references `<LogicalId>`.
 */
export function flattenArn(value: unknown, bucketLogicalIdPrefix = 'CacheBucket'): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, parts] = join as [string, unknown[]];
      return parts.map((part) => flattenArn(part, bucketLogicalIdPrefix)).join(delimiter);
    }
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [id, attribute] = getAtt as [string, string];
      if (id.startsWith(bucketLogicalIdPrefix) && attribute === 'Arn') return BUCKET_ARN;
      return `<${id}.${attribute}>`;
    }
    if (typeof record.Ref === 'string') {
      if (record.Ref === 'AWS::Partition') return 'aws';
      if (record.Ref === 'AWS::Region') return 'us-east-1';
      if (record.Ref === 'AWS::AccountId') return '111111111111';
      return `<${record.Ref}>`;
    }
  }
  return JSON.stringify(value);
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM glob: `*` any run of characters (including `/`), `?` any one character. */
export function iamGlob(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern
    .split('')
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

/**
 * Allow statements granting `action` on `resourceArn`, ignoring conditions. Conditions are
 * ignored on purpose: the caller controls request tags and headers, so a security check must
 * assume they can be satisfied.
 */
export function allowingStatements(
  statements: Statement[],
  action: string,
  resourceArn: string,
): Statement[] {
  return statements.filter(
    (statement) =>
      statement.Effect === 'Allow' &&
      asArray(statement.Action).some((pattern) => iamGlob(pattern, action, true)) &&
      asArray(statement.Resource).some((resource) => iamGlob(flattenArn(resource), resourceArn)),
  );
}

export function mayPerform(statements: Statement[], action: string, resourceArn: string): boolean {
  return allowingStatements(statements, action, resourceArn).length > 0;
}

/** Every Allow statement in the template: identity policies, trust policies, bucket policies. */
export function allAllowStatements(template: Template): Statement[] {
  const out: Statement[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.Statement)) {
      for (const statement of record.Statement as Statement[])
        if (statement.Effect === 'Allow') out.push(statement);
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(template.toJSON());
  return out;
}

/** Replaces values that change from run to run or machine to machine (asset hashes). */
export function normaliseTemplate(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}
