import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkBucketPrefix, checkRepositoryName } from './layout.js';
import { type GithubSubjectFormat, subjectPrefix } from './repository-cache-roles.js';

/** One repository using the cache, after validation and defaults. */
export interface RepositoryConfig {
  /** `owner/repo` with GitHub's case (used verbatim in OIDC subjects). */
  readonly name: string;
  readonly subjectFormat: GithubSubjectFormat;
  readonly defaultBranch: string;
  readonly trustedRefs: readonly string[];
  readonly trustedEnvironments: readonly string[];
  readonly trustedSubjects: readonly string[];
  readonly capBytes: number | undefined;
}

/** The whole deployment, after validation and defaults. */
export interface S3CacheConfig {
  readonly stackName: string;
  /** Account and region to pin the stack to; absent: environment-agnostic. */
  readonly env: { readonly account: string; readonly region: string } | undefined;
  /** Destroy the bucket (and its objects), log group and OIDC provider with the stack. */
  readonly disposable: boolean;
  readonly bucket: {
    readonly name: string | undefined;
    readonly prefix: string;
    readonly capBytes: number;
    /** Cap of repositories without their own `capBytes` (defaults to `capBytes`). */
    readonly defaultRepositoryCapBytes: number;
    readonly kmsKeyArn: string | undefined;
  };
  readonly retention: {
    readonly deltaDays: number;
    readonly baseMaxAgeDays: number;
    readonly accessMarkerDays: number;
    readonly reportDays: number;
  };
  readonly janitor: {
    readonly schedule: string;
    readonly maxIdleDays: number;
    readonly pullRequestIdleDays: number;
    readonly lowWaterRatio: number;
    readonly graceMinutes: number;
    readonly memoryMiB: number;
    readonly logRetentionDays: number;
  };
  readonly github: {
    readonly oidcProviderArn: string | undefined;
    readonly action: string;
  };
  readonly repositories: readonly RepositoryConfig[];
}

/** A configuration that cannot be deployed; `issues` holds one line per problem. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], options?: { cause?: unknown }) {
    super(`${source} is invalid:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Bytes from a number of bytes or a string such as "50GiB", "1.5 TB", "750MB". */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)\s*$/i.exec(value);
  const unit = match?.[2] === undefined ? undefined : UNITS[match[2].toLowerCase()];
  if (match?.[1] === undefined || unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const size = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a positive size: a number of bytes or a string like "50GiB" or "500MB", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return bytes;
});

const days = (fallback: number) =>
  z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').default(fallback);

const numericId = z
  .union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be a numeric GitHub id')])
  .transform(String);

const RATE = /^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;

const repositorySchema = z.strictObject({
  name: z.string().check((ctx) => {
    const problem = checkRepositoryName(ctx.value);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  }),
  ownerId: numericId.optional(),
  repositoryId: numericId.optional(),
  subjectFormat: z.enum(['repository', 'immutable']).optional(),
  defaultBranch: z.string().min(1).default('main'),
  trustedRefs: z.array(z.string()).optional(),
  trustedEnvironments: z.array(z.string()).default([]),
  trustedSubjects: z.array(z.string()).default([]),
  capBytes: size.optional(),
});

const schema = z
  .strictObject({
    $schema: z.string().optional(),
    stackName: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
        'must start with a letter and contain only letters, digits and "-"',
      )
      .default('S3Cache'),
    env: z
      .strictObject({
        account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as "eu-west-1"'),
      })
      .optional(),
    disposable: z.boolean().default(false),
    bucket: z
      .strictObject({
        name: z
          .string()
          .regex(
            /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
            'must be a valid S3 bucket name (3-63 lower-case letters, digits, "." and "-")',
          )
          .optional(),
        prefix: z
          .string()
          .default('')
          .check((ctx) => {
            const problem = checkBucketPrefix(ctx.value);
            if (problem !== undefined)
              ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
          }),
        capBytes: size.default(100 * 2 ** 30),
        defaultRepositoryCapBytes: size.optional(),
        kmsKeyArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
            'must be a KMS key ARN (not an alias)',
          )
          .optional(),
      })
      .prefault({}),
    retention: z
      .strictObject({
        deltaDays: days(7),
        baseMaxAgeDays: days(30),
        accessMarkerDays: z
          .number()
          .int('must be a whole number of days')
          .min(1, 'must be at least 1 day')
          .optional(),
        reportDays: days(30),
      })
      .prefault({}),
    janitor: z
      .strictObject({
        schedule: z
          .string()
          .refine((value) => RATE.test(value) || CRON.test(value), {
            message:
              'must be an EventBridge Scheduler expression such as "rate(6 hours)" or "cron(0 */6 * * ? *)"',
          })
          .default('rate(6 hours)'),
        maxIdleDays: days(7),
        pullRequestIdleDays: days(3),
        lowWaterRatio: z.number().gt(0, 'must be above 0').lte(1, 'must be at most 1').default(0.8),
        graceMinutes: z.number().int().min(0).default(60),
        memoryMiB: z.number().int().min(128).max(10240).default(2048),
        logRetentionDays: z
          .union([
            z.literal(1),
            z.literal(3),
            z.literal(5),
            z.literal(7),
            z.literal(14),
            z.literal(30),
            z.literal(60),
            z.literal(90),
            z.literal(180),
            z.literal(365),
          ])
          .default(30),
      })
      .prefault({}),
    github: z
      .strictObject({
        oidcProviderArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
            "must be the ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com",
          )
          .optional(),
        subjectFormat: z.enum(['repository', 'immutable']).default('repository'),
        action: z
          .string()
          .regex(/^\S+@\S+$/, 'must be an action reference such as "my-org/s3cache@v1"')
          .default('<org>/s3cache@v1'),
      })
      .prefault({}),
    repositories: z.array(repositorySchema).min(1, 'list at least one repository'),
  })
  .transform((raw, ctx): S3CacheConfig => {
    const accessMarkerDays = raw.retention.accessMarkerDays ?? raw.retention.baseMaxAgeDays + 1;
    if (accessMarkerDays < raw.janitor.maxIdleDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'accessMarkerDays'],
        message: `must be at least janitor.maxIdleDays (${raw.janitor.maxIdleDays}): an expired marker hides an entry's last access from the janitor`,
      });
    }
    const defaultRepositoryCapBytes = raw.bucket.defaultRepositoryCapBytes ?? raw.bucket.capBytes;
    if (defaultRepositoryCapBytes > raw.bucket.capBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['bucket', 'defaultRepositoryCapBytes'],
        message: `${defaultRepositoryCapBytes} bytes exceeds bucket.capBytes (${raw.bucket.capBytes} bytes)`,
      });
    }
    const seen = new Map<string, number>();
    const repositories = raw.repositories.map((repo, index): RepositoryConfig => {
      const path = ['repositories', index];
      const key = repo.name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'name'],
          message: `${repo.name} is already listed at repositories[${first}] (names are compared case-insensitively, as object keys are lower-cased)`,
        });
      }
      seen.set(key, index);
      if (repo.capBytes !== undefined && repo.capBytes > raw.bucket.capBytes) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'capBytes'],
          message: `${repo.capBytes} bytes exceeds bucket.capBytes (${raw.bucket.capBytes} bytes)`,
        });
      }
      let subjectFormat: GithubSubjectFormat = { kind: 'repository' };
      if ((repo.subjectFormat ?? raw.github.subjectFormat) === 'immutable') {
        if (repo.ownerId === undefined || repo.repositoryId === undefined) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `${repo.name} uses immutable OIDC subjects (repo:OWNER@OWNER_ID/REPO@REPO_ID): set ownerId and repositoryId`,
          });
        } else {
          subjectFormat = { kind: 'immutable', ownerId: repo.ownerId, repositoryId: repo.repositoryId };
        }
      }
      const trustedRefs = repo.trustedRefs ?? [`refs/heads/${repo.defaultBranch}`];
      trustedRefs.forEach((ref, refIndex) => {
        const problem = checkTrustedRef(ref);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', path: [...path, 'trustedRefs', refIndex], message: problem });
        }
      });
      repo.trustedEnvironments.forEach((environment, envIndex) => {
        if (!/^[^*?$:]{1,255}$/.test(environment)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'trustedEnvironments', envIndex],
            message: `"${environment}" must be 1-255 characters without "*", "?", "$" or ":"`,
          });
        }
      });
      const owner = repo.name.split('/')[0] ?? '';
      const name = repo.name.split('/')[1] ?? '';
      const expectedPrefix =
        subjectFormat.kind === 'repository'
          ? `repo:${repo.name}:`
          : `${subjectPrefix(owner, name, subjectFormat)}:`;
      repo.trustedSubjects.forEach((subject, subjectIndex) => {
        if (!subject.startsWith(expectedPrefix) || subject.includes('$')) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'trustedSubjects', subjectIndex],
            message: `"${subject}" must start with "${expectedPrefix}" and contain no "$"`,
          });
        }
      });
      if (trustedRefs.length + repo.trustedEnvironments.length + repo.trustedSubjects.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${repo.name} has no trustedRefs, trustedEnvironments or trustedSubjects: nobody could save to its default branch scope`,
        });
      }
      return {
        name: repo.name,
        subjectFormat,
        defaultBranch: repo.defaultBranch,
        trustedRefs,
        trustedEnvironments: repo.trustedEnvironments,
        trustedSubjects: repo.trustedSubjects,
        capBytes: repo.capBytes,
      };
    });
    return {
      stackName: raw.stackName,
      env: raw.env,
      disposable: raw.disposable,
      bucket: {
        name: raw.bucket.name,
        prefix: raw.bucket.prefix,
        capBytes: raw.bucket.capBytes,
        defaultRepositoryCapBytes,
        kmsKeyArn: raw.bucket.kmsKeyArn,
      },
      retention: {
        deltaDays: raw.retention.deltaDays,
        baseMaxAgeDays: raw.retention.baseMaxAgeDays,
        accessMarkerDays,
        reportDays: raw.retention.reportDays,
      },
      janitor: raw.janitor,
      github: { oidcProviderArn: raw.github.oidcProviderArn, action: raw.github.action },
      repositories,
    };
  });

/** Returns an error message, or undefined when `ref` may be given the writer role. */
function checkTrustedRef(ref: string): string | undefined {
  if (!/^refs\/[^?$\s:\\[~^]+$/.test(ref)) {
    return `"${ref}" must be a full git ref such as "refs/heads/main" ("*" allowed as a wildcard; no spaces, "?", "$" or ":")`;
  }
  if (ref.startsWith('refs/pull/')) {
    return `"${ref}" is a pull-request ref: pull requests must never get the writer role`;
  }
  return undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Validates a parsed JSON value; `source` names it in error messages. */
export function parseConfig(value: unknown, source = 'config'): S3CacheConfig {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}

/** Reads and validates a JSON config file. */
export function loadConfig(path: string): S3CacheConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`], { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  return parseConfig(value, path);
}
