import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { STSClient } from '@aws-sdk/client-sts';
import { createS3Client } from '@s3cache/core';
import { createTestBucket, s3TestConfig, s3TestsSkipped, type TestBucket } from '@s3cache/testkit';
import type { AwsClientFactory, CliIo } from '../src/index.js';
import { main } from '../src/index.js';

/** Collects what a command writes. */
export class Capture {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the command's one JSON document. */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the CLI in-process with captured output, no git, an empty environment and a fixed HOME. */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, {
    stdout,
    stderr,
    env: {},
    git: async () => undefined,
    stdinIsTTY: false,
    confirm: async () => false,
    ...io,
  });
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    json<T>() {
      try {
        return JSON.parse(stdout.text) as T;
      } catch (err) {
        throw new Error(
          `stdout is not one JSON document (${(err as Error).message}):\n${stdout.text}\nstderr:\n${stderr.text}`,
        );
      }
    },
  };
}

export async function tempDir(prefix = 's3cache-cli-'): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A store the CLI can be pointed at: its `--store` argument plus the I/O that reaches it. */
export interface StoreTarget {
  name: string;
  skip: boolean;
  setup(): Promise<{ args: string[]; io: Partial<CliIo>; cleanup(): Promise<void>; bucket?: TestBucket }>;
}

/** An AWS client factory for the test endpoint: clients come from core's factory, as in production. */
export function testAwsFactory(): AwsClientFactory & { client: S3Client } {
  const config = s3TestConfig();
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  const client = createS3Client({ endpoint: config.endpoint, region: config.region, credentials });
  return {
    client,
    s3: () => client,
    s3Control: () => new S3ControlClient({ region: config.region, credentials }),
    sts: () => new STSClient({ region: config.region, endpoint: config.endpoint, credentials }),
    destroy() {
      // The client outlives a single command: the test owns it.
    },
  };
}

export const storeTargets: StoreTarget[] = [
  {
    name: 'directory store',
    skip: false,
    async setup() {
      const dir = await tempDir('s3cache-cli-store-');
      return { args: ['--store', dir.path], io: {}, cleanup: dir.cleanup };
    },
  },
  {
    name: 'S3 store',
    skip: s3TestsSkipped(),
    async setup() {
      const aws = testAwsFactory();
      const bucket = await createTestBucket({ client: aws.client });
      const config = s3TestConfig();
      return {
        args: ['--store', `s3://${bucket.name}/cache`, '--endpoint', config.endpoint],
        io: { aws },
        bucket,
        async cleanup() {
          await bucket.cleanup();
          aws.client.destroy();
        },
      };
    },
  },
];
