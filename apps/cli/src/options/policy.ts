import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  defaultPolicy,
  JanitorConfigError,
  type JanitorPolicy,
  type PolicyInput,
  parsePolicy,
} from '@s3cache/janitor-lambda';
import { UsageError } from '../exit-codes.js';
import { parseBytes } from '../format/bytes.js';
import type { Env } from '../io.js';

export interface PolicyFlags {
  policy?: string | undefined;
  cap?: string | undefined;
}

/**
 * The janitor policy the CLI plans with: `--policy` (inline JSON or a JSON file), else
 * S3CACHE_POLICY (the variable the janitor Lambda reads, so both agree), else the defaults.
 * `--cap` overrides the default per-repository cap. Invalid input is a usage error.
 */
export async function loadPolicy(flags: PolicyFlags, env: Env, cwd: string): Promise<JanitorPolicy> {
  let input: PolicyInput = {};
  let source = 'the default policy';
  if (flags.policy !== undefined) {
    const text = flags.policy.trim().startsWith('{')
      ? flags.policy
      : await readPolicyFile(resolve(cwd, flags.policy));
    source = flags.policy.trim().startsWith('{') ? '--policy' : `--policy ${flags.policy}`;
    input = parseJson(text, source);
  } else if (env.S3CACHE_POLICY?.trim()) {
    source = 'S3CACHE_POLICY';
    input = parseJson(env.S3CACHE_POLICY, source);
  }
  if (flags.cap !== undefined) input = { ...input, defaultRepositoryCapBytes: capBytes(flags.cap) };
  if (flags.policy === undefined && !env.S3CACHE_POLICY?.trim() && flags.cap === undefined)
    return defaultPolicy;
  try {
    return parsePolicy(input, source);
  } catch (err) {
    if (err instanceof JanitorConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** `--cap 10GiB`: a positive size. */
export function capBytes(text: string): number {
  const bytes = parseBytes(text);
  if (bytes === undefined || bytes <= 0)
    throw new UsageError(`--cap must be a size such as 10GiB or 500MB, got ${JSON.stringify(text)}`);
  return bytes;
}

async function readPolicyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the policy file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseJson(text: string, source: string): PolicyInput {
  try {
    return JSON.parse(text) as PolicyInput;
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
