import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '@s3cache/core';
import { deleteBucketAndContents, emptyBucket, uniqueBucketName } from '@s3cache/testkit';
import { log, q, sh } from './util.js';

export interface S3Endpoint {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** How it was obtained: an endpoint from the environment, or a lab this run started. */
  source: 'environment' | 'lab';
  /** Stops the lab this run started (nothing for an endpoint from the environment). */
  stop(): Promise<void>;
}

export const REPO_ROOT = join(import.meta.dirname, '../../..');

/** Reads `export NAME='value'` lines as scripts/s3-lab.sh writes them. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line.trim());
    if (m) out[m[1] as string] = (m[2] as string).replace(/'\\''/g, "'");
  }
  return out;
}

/**
 * The S3 server to measure against: S3CACHE_TEST_ENDPOINT (and credentials) when set, otherwise a
 * local Ceph RGW lab started for this run (scripts/s3-lab.sh, its data in RAM) and stopped after.
 */
export async function connectS3(memstoreBytes: number): Promise<S3Endpoint> {
  const env = process.env;
  if (env.S3CACHE_TEST_ENDPOINT && env.S3CACHE_TEST_ACCESS_KEY_ID && env.S3CACHE_TEST_SECRET_ACCESS_KEY) {
    return {
      endpoint: env.S3CACHE_TEST_ENDPOINT,
      accessKeyId: env.S3CACHE_TEST_ACCESS_KEY_ID,
      secretAccessKey: env.S3CACHE_TEST_SECRET_ACCESS_KEY,
      region: env.S3CACHE_TEST_REGION || 'us-east-1',
      source: 'environment',
      stop: async () => {},
    };
  }
  const labDir = join(REPO_ROOT, '.lab', 'bench');
  const script = join(REPO_ROOT, 'scripts', 's3-lab.sh');
  const labEnv = { ...env, S3CACHE_LAB_DIR: labDir, S3CACHE_LAB_MEMSTORE_BYTES: String(memstoreBytes) };
  log(`no S3CACHE_TEST_ENDPOINT: starting a local S3 lab in ${labDir}`);
  await sh(`bash ${q(script)} start`, labEnv);
  const vars = parseEnvFile(await readFile(join(labDir, 'env'), 'utf8'));
  const stop = async () => {
    await sh(`bash ${q(script)} stop`, labEnv).catch((err: unknown) => log(`could not stop the lab: ${err}`));
  };
  if (
    !vars.S3CACHE_TEST_ENDPOINT ||
    !vars.S3CACHE_TEST_ACCESS_KEY_ID ||
    !vars.S3CACHE_TEST_SECRET_ACCESS_KEY
  ) {
    await stop();
    throw new Error(`the S3 lab in ${labDir} did not write its endpoint`);
  }
  return {
    endpoint: vars.S3CACHE_TEST_ENDPOINT,
    accessKeyId: vars.S3CACHE_TEST_ACCESS_KEY_ID,
    secretAccessKey: vars.S3CACHE_TEST_SECRET_ACCESS_KEY,
    region: vars.S3CACHE_TEST_REGION || 'us-east-1',
    source: 'lab',
    stop,
  };
}

/** An S3 client as s3cache itself configures one (createS3Client), for the endpoint. */
export function clientFor(s3: S3Endpoint): S3Client {
  return createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

export interface BenchBucket {
  name: string;
  client: S3Client;
  /** Deletes every object (between scenarios: the lab keeps objects in RAM). */
  empty(): Promise<void>;
  remove(): Promise<void>;
}

export async function createBenchBucket(s3: S3Endpoint): Promise<BenchBucket> {
  const client = clientFor(s3);
  const name = uniqueBucketName('s3cache-bench');
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    client,
    empty: () => emptyBucket(client, name),
    async remove() {
      try {
        await deleteBucketAndContents(client, name);
      } finally {
        client.destroy();
      }
    },
  };
}
