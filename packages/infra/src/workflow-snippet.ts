export interface WorkflowSnippetProps {
  /** `owner/s3cache@v1`. */
  readonly action: string;
  readonly bucketName: string;
  readonly region: string;
  /** Bucket prefix ('' for none). */
  readonly prefix: string;
  readonly writerRoleArn: string;
  readonly untrustedRoleArn: string;
  /** Trusted refs (writer role); patterns with `*` cannot be tested in a workflow expression. */
  readonly trustedRefs: readonly string[];
  readonly trustedEnvironments: readonly string[];
}

/**
 * A workflow fragment to paste into a job of the repository. It picks the writer role only for
 * `push` runs of an exact trusted ref, and the untrusted role otherwise: picking by ref alone
 * would hand the writer role to `pull_request_target` runs (their ref is the base branch). The
 * trust policies enforce the split either way; the expression only avoids failed assumptions.
 */
export function workflowSnippet(props: WorkflowSnippetProps): string {
  const exactRefs = props.trustedRefs.filter((ref) => !ref.includes('*'));
  const role =
    exactRefs.length === 0
      ? `'${props.untrustedRoleArn}'`
      : `\${{ github.event_name == 'push' && contains(fromJSON('${JSON.stringify(exactRefs)}'), github.ref) && '${props.writerRoleArn}' || '${props.untrustedRoleArn}' }}`;
  const lines = [
    'permissions:',
    '  id-token: write',
    '  contents: read',
    'steps:',
    `  - uses: ${props.action}`,
    '    with:',
    `      bucket: ${props.bucketName}`,
    `      region: ${props.region}`,
    ...(props.prefix === '' ? [] : [`      prefix: ${props.prefix}`]),
    `      role-to-assume: ${role}`,
    '      path: <paths to cache>',
    '      key: <cache key>',
  ];
  if (props.trustedEnvironments.length > 0) {
    lines.push(
      `# Jobs with environment ${props.trustedEnvironments.join(' or ')} may use role-to-assume: ${props.writerRoleArn}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
