import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type CacheContext,
  collect,
  defaultCodec,
  defaultWorkerScript,
  Layout,
  nativeCodec,
  restoreCache,
  S3Store,
  saveCache,
  scriptAt,
  type WorkerScript,
  type ZstdCodec,
  zlibCodec,
} from '@s3cache/core';
import type { Dataset } from './datasets.js';
import type { BenchBucket, S3Endpoint } from './lab.js';
import { q, sh, shTimed, timedCpu } from './util.js';

export const REPOSITORY = 'bench/s3cache';
export const SCOPE = 'refs/heads/main';
export const VERSION = 'b'.repeat(64);

/** One timed operation: wall time, and CPU time of the client side (the S3 server not included). */
export interface Timing {
  seconds: number;
  cpuSeconds: number;
}

export interface SaveTiming extends Timing {
  /** Bytes stored (the pack, or the .tar.zst object). */
  storedBytes: number;
  /** s3cache only: chunks in the entry. */
  chunks?: number;
}

export type CodecName = ZstdCodec['name'];

/**
 * The zstd codec s3cache runs with: `node:zlib` is what the bundled action uses on the runner's
 * Node 24; `native` (@mongodb-js/zstd) is what the CLI and the packages use where it loads.
 */
export function benchCodec(name: CodecName | undefined): ZstdCodec {
  if (name === 'native') return nativeCodec();
  if (name === 'node:zlib') return zlibCodec();
  return defaultCodec();
}

/**
 * The archiving worker the action runs: its bundled script (packages/action/dist, kept in step
 * with the sources by the action's dist check), which starts as fast as it does on a runner. The
 * TypeScript one would first compile itself through tsx.
 */
export function benchWorker(): WorkerScript | undefined {
  return scriptAt(new URL('../../action/dist/worker.mjs', import.meta.url)) ?? defaultWorkerScript();
}

/** s3cache's engine in-process, configured as the action and the CLI configure it (defaults). */
export class S3CacheRunner {
  readonly ctx: CacheContext;
  private readonly layout = new Layout();

  constructor(
    readonly bucket: Pick<BenchBucket, 'name' | 'client'>,
    codec: ZstdCodec,
  ) {
    this.ctx = {
      store: new S3Store(bucket.client, { bucket: bucket.name }),
      layout: this.layout,
      codec,
      worker: benchWorker(),
    };
  }

  async save(ds: Dataset, key: string): Promise<SaveTiming> {
    const { seconds, cpuSeconds, value } = await timedCpu(() =>
      saveCache(this.ctx, {
        repository: REPOSITORY,
        scope: SCOPE,
        version: VERSION,
        key,
        paths: ds.paths,
        workspace: ds.workspace,
      }),
    );
    if (value.outcome !== 'saved')
      throw new Error(`s3cache save of ${key}: ${value.outcome}, expected saved`);
    return { seconds, cpuSeconds, storedBytes: value.uploadedBytes, chunks: value.totalChunks };
  }

  /** Restores `key` into the empty workspace `target`. */
  async restore(ds: Dataset, key: string, target: string): Promise<Timing> {
    const { seconds, cpuSeconds, value } = await timedCpu(() =>
      restoreCache(this.ctx, {
        repository: REPOSITORY,
        scopes: [SCOPE],
        version: VERSION,
        primaryKey: key,
        restoreKeys: [],
        paths: ds.paths,
        workspace: target,
      }),
    );
    if (!value.cacheHit) throw new Error(`s3cache restore of ${key} missed`);
    return { seconds, cpuSeconds };
  }

  /** The pack object of a saved entry (its only pack), for the raw download ceiling. */
  async packOf(key: string): Promise<{ key: string; size: number }> {
    const dir = this.layout.entryDir({ repository: REPOSITORY, scope: SCOPE, version: VERSION, key });
    const packs = (await collect(this.ctx.store.list(`${dir}packs/`))).filter((o) => o.key.endsWith('.pack'));
    const pack = packs[0];
    if (packs.length !== 1 || !pack) throw new Error(`expected one pack under ${dir}, found ${packs.length}`);
    return { key: pack.key, size: pack.size };
  }
}

/** Environment for the AWS CLI: the endpoint's credentials, no local profile or config file. */
export function awsEnv(s3: S3Endpoint): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

/**
 * The pipeline s3cache replaces, as a workflow step would run it: `tar | zstd -T0 -3 | aws s3 cp -`
 * and back `aws s3 cp - | zstd -d | tar -x`, with the AWS CLI's defaults. Timed as whole shell
 * commands: the CLI's start-up (~0.3 s of Python) is included, as a workflow pays it too.
 */
export class PipelineRunner {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly s3: S3Endpoint,
    private readonly bucket: string,
  ) {
    this.env = awsEnv(s3);
  }

  private objectKey(key: string): string {
    return `pipeline/${key}.tar.zst`;
  }

  async save(ds: Dataset, key: string): Promise<SaveTiming> {
    const url = `s3://${this.bucket}/${this.objectKey(key)}`;
    const timing = await shTimed(
      `tar -cf - -C ${q(ds.workspace)} ${ds.paths.map(q).join(' ')} | zstd -T0 -3 -q | ` +
        `aws s3 cp - ${q(url)} --endpoint-url ${q(this.s3.endpoint)} --only-show-errors`,
      this.env,
    );
    const { stdout } = await sh(
      `aws s3api head-object --bucket ${q(this.bucket)} --key ${q(this.objectKey(key))} ` +
        `--endpoint-url ${q(this.s3.endpoint)} --query ContentLength --output text`,
      this.env,
    );
    return { ...timing, storedBytes: Number(stdout.trim()) };
  }

  async restore(key: string, target: string): Promise<Timing> {
    await fs.mkdir(target, { recursive: true });
    const url = `s3://${this.bucket}/${this.objectKey(key)}`;
    return shTimed(
      `aws s3 cp ${q(url)} - --endpoint-url ${q(this.s3.endpoint)} --only-show-errors | ` +
        `zstd -d -q | tar -xf - -C ${q(target)}`,
      this.env,
    );
  }
}

/** The same tar + zstd to local disk, no network: what CPU and disk allow for a save. */
export async function localCompress(ds: Dataset, archive: string): Promise<SaveTiming> {
  const timing = await shTimed(
    `tar -cf - -C ${q(ds.workspace)} ${ds.paths.map(q).join(' ')} | zstd -T0 -3 -q -f -o ${q(archive)}`,
  );
  return { ...timing, storedBytes: (await fs.stat(archive)).size };
}

/** zstd -d + tar -x from local disk, no network: what CPU and disk allow for a restore. */
export async function localExtract(archive: string, target: string): Promise<Timing> {
  await fs.mkdir(target, { recursive: true });
  return shTimed(`zstd -d -q -c ${q(archive)} | tar -xf - -C ${q(target)}`);
}

/**
 * Downloads `size` bytes of `key` as parallel ranged GETs and drops them: how fast the server and
 * this machine deliver the bytes when nothing is done with them.
 */
export async function rawRangedGet(
  client: S3Client,
  bucket: string,
  key: string,
  size: number,
  rangeBytes: number,
  concurrency: number,
): Promise<Timing> {
  const { seconds, cpuSeconds } = await timedCpu(async () => {
    let next = 0;
    let received = 0;
    const worker = async () => {
      while (next < size) {
        const start = next;
        next = Math.min(size, next + rangeBytes);
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${next - 1}` }),
        );
        for await (const piece of out.Body as AsyncIterable<Uint8Array>) received += piece.length;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (received !== size) throw new Error(`raw GET of ${key}: ${received} of ${size} bytes`);
  });
  return { seconds, cpuSeconds };
}

/** Uploads a local file as one multipart object, through the store s3cache uploads packs with. */
export async function rawUpload(
  client: S3Client,
  bucket: string,
  file: string,
  key: string,
): Promise<Timing> {
  const store = new S3Store(client, { bucket });
  const { seconds, cpuSeconds } = await timedCpu(() =>
    store.upload(key, createReadStream(file, { highWaterMark: 1024 * 1024 }), { tags: { type: 'bench' } }),
  );
  return { seconds, cpuSeconds };
}
