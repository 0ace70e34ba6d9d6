/**
 * One save or restore in a process of its own, as the action runs each step: prints
 * `RESULT {json}` with the wall time, CPU time and peak RSS. Run by rss.ts. The times cover the
 * operation, not the process's start (loading the engine through tsx here; the action loads a
 * bundle).
 */
import { readFileSync } from 'node:fs';
import { createS3Client, relaxHeapGrowth } from '@s3cache/core';
import { benchCodec, type CodecName, S3CacheRunner } from './runners.js';

export interface ChildJob {
  op: 'save' | 'restore';
  codec: CodecName;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  bucket: string;
  key: string;
  workspace: string;
  paths: string[];
  /** Workspace to restore into. */
  target: string;
}

export interface ChildResult {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  /** Saves: bytes uploaded. */
  storedBytes?: number;
  /** Saves: chunks in the entry. */
  chunks?: number;
}

// Tuned as the action and the CLI tune their processes.
relaxHeapGrowth();
const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
const client = createS3Client({
  endpoint: job.endpoint,
  region: job.region,
  credentials: { accessKeyId: job.accessKeyId, secretAccessKey: job.secretAccessKey },
});
const runner = new S3CacheRunner({ name: job.bucket, client }, benchCodec(job.codec));
const ds = { name: job.key, label: job.key, workspace: job.workspace, paths: job.paths, files: 0, bytes: 0 };
const timing =
  job.op === 'save' ? await runner.save(ds, job.key) : await runner.restore(ds, job.key, job.target);
client.destroy();
const result: ChildResult = { ...timing, maxRssBytes: peakRss() };
process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);

/**
 * This process's peak RSS. On Linux VmHWM, not getrusage's maxrss: the kernel carries maxrss over
 * from the parent across fork and exec, so a child of a big parent would report the parent's size.
 */
function peakRss(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {}
  return process.resourceUsage().maxRSS * 1024;
}
