import { z } from 'zod';
import { JanitorConfigError } from './errors.js';

export const GiB = 1024 ** 3;

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Byte counts as a number or as text with a unit ("10GiB", "500 MB"): operators write caps by
 * hand in a JSON environment variable, where 10737418240 is easy to get wrong.
 */
export function parseByteSize(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match?.[1]) return undefined;
  const unit = UNITS[(match[2] || 'b').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const byteSize = z.union([z.number(), z.string()]).transform((value, ctx): number => {
  const bytes = typeof value === 'number' ? value : parseByteSize(value);
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a byte count such as 10737418240 or "10GiB", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return bytes;
});

// Fractions are allowed on purpose: tests and staging buckets use TTLs of minutes.
const days = z.number().nonnegative().finite();

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const repositoryPolicySchema = z.strictObject({
  /** Size cap of this repository (overrides defaultRepositoryCapBytes). */
  capBytes: byteSize.optional(),
  maxIdleDays: days.optional(),
  pullRequestIdleDays: days.optional(),
});

export const policySchema = z
  .strictObject({
    /** Nothing younger than this is touched: uploads and restores in flight. */
    graceMinutes: z.number().nonnegative().finite().default(60),
    /** Entries not restored or saved for this long are deleted. */
    maxIdleDays: days.default(7),
    /** The same for entries of pull-request scopes (`pull/`), which are rarely reused after a merge. */
    pullRequestIdleDays: days.default(1),
    defaultRepositoryCapBytes: byteSize.default(10 * GiB),
    /** Per-repository settings, keyed by `owner/repo` (case-insensitive). */
    repositories: z.record(z.string(), repositoryPolicySchema).default({}),
    /** Cap over every repository together; unlimited when absent. */
    bucketCapBytes: byteSize.optional(),
    /** Evicting for a cap stops once usage is at or below this fraction of the cap (hysteresis). */
    lowWaterRatio: z.number().gt(0).lte(1).default(0.9),
    /** Incomplete multipart uploads older than this are aborted. */
    multipartMaxAgeHours: z.number().nonnegative().finite().default(24),
  })
  .transform((policy, ctx) => {
    const repositories: Record<string, z.output<typeof repositoryPolicySchema>> = {};
    for (const [name, settings] of Object.entries(policy.repositories)) {
      if (!REPOSITORY.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['repositories', name],
          message: 'expected a key of the form "owner/repo"',
        });
        continue;
      }
      // The layout lower-cases repositories; the policy must match what the listing shows.
      const key = name.toLowerCase();
      if (key in repositories) {
        ctx.addIssue({
          code: 'custom',
          path: ['repositories', name],
          message: `"${key}" is configured twice`,
        });
        continue;
      }
      repositories[key] = settings;
    }
    return { ...policy, repositories };
  });

export type PolicyInput = z.input<typeof policySchema>;
export type JanitorPolicy = z.output<typeof policySchema>;
export type RepositoryPolicy = JanitorPolicy['repositories'][string];

/** Validates a policy and fills in defaults. `source` names where it came from in error messages. */
export function parsePolicy(input: unknown, source = 'policy'): JanitorPolicy {
  const parsed = policySchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
  throw new JanitorConfigError(`Invalid ${source}: ${problems.join('; ')}`, { cause: parsed.error });
}

export const defaultPolicy: JanitorPolicy = parsePolicy({});

/** The limits that apply to one repository. */
export function repositoryLimits(policy: JanitorPolicy, repository: string) {
  const own = policy.repositories[repository.toLowerCase()];
  return {
    capBytes: own?.capBytes ?? policy.defaultRepositoryCapBytes,
    maxIdleDays: own?.maxIdleDays ?? policy.maxIdleDays,
    pullRequestIdleDays: own?.pullRequestIdleDays ?? policy.pullRequestIdleDays,
  };
}
