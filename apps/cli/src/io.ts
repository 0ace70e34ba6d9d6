import { homedir, tmpdir } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { type AwsClientFactory, createAwsClientFactory } from './aws/clients.js';
import { type AccountPublicAccessReader, readAccountPublicAccess } from './doctor/account.js';
import type { GitRunner } from './git/git-context.js';
import { nodeGit } from './git/node-git.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The part of a writable stream the CLI uses; tests pass a string collector. */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * Everything the CLI touches outside its own code: streams, environment, clock, prompts, git and
 * AWS clients. `main` takes it as a parameter so tests run commands in-process with fakes.
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Env;
  cwd: string;
  platform: NodeJS.Platform;
  homedir: string;
  tmpdir: string;
  /** Whether a person can answer a prompt. */
  stdinIsTTY: boolean;
  /** Asks a yes/no question on the terminal; resolves true only for an explicit yes. */
  confirm(question: string): Promise<boolean>;
  aws: AwsClientFactory;
  /** The account-level public access block check of `doctor` (STS + S3 Control by default). */
  accountPublicAccess: AccountPublicAccessReader;
  git: GitRunner;
  now(): Date;
}

/** The real process. */
export function nodeIo(): CliIo {
  const aws = createAwsClientFactory();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    platform: process.platform,
    homedir: homedir(),
    tmpdir: tmpdir(),
    stdinIsTTY: process.stdin.isTTY === true,
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^(y|yes)$/i.test((await rl.question(question)).trim());
      } finally {
        rl.close();
      }
    },
    aws,
    accountPublicAccess: (request) => readAccountPublicAccess(aws, request),
    git: nodeGit,
    now: () => new Date(),
  };
}
