import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

// cdk-nag v3 acknowledges findings one by one (`AwsSolutions-IAM5[Resource::...]`) and names a
// resource the way its own `flattenCfnReference` prints the resolved CloudFormation value. This
// mirrors that printing so each acknowledgement names exactly one wildcard resource; the cdk-nag
// test fails if the two ever disagree.
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (record['Fn::Sub'] !== undefined) return flatten(record['Fn::Sub']);
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (record['Fn::ImportValue'] !== undefined) return flatten(record['Fn::ImportValue']);
    if (record.Ref !== undefined) return `<${flatten(record.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The finding id cdk-nag's IAM5 rule reports for one resource (an ARN, possibly a token). */
export function wildcardResourceFindingId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Acknowledges, on `scope` (a role: cdk-nag looks for acknowledgements on the policy's
 * ancestors), the IAM5 finding of each wildcard resource, with that resource's own reason.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  reasons: ReadonlyArray<readonly [resource: string, reason: string]>,
): void {
  for (const [resource, reason] of reasons) {
    const id = wildcardResourceFindingId(scope, resource);
    if (id.includes('*')) Validations.of(scope).acknowledge({ id, reason });
  }
}
