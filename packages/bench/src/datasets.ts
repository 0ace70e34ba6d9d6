import { createCipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { makeCompilerCache, prng, text } from '../../core/bench/trees.js';

/**
 * The trees the benchmark saves and restores. Each lives in `<work>/<name>/ws/data`: the
 * workspace is `ws` and the cached path is `data`, for s3cache and the tar pipeline alike.
 */
export interface Dataset {
  name: string;
  label: string;
  workspace: string;
  /** Path patterns relative to the workspace (one literal directory). */
  paths: string[];
  files: number;
  /** Bytes of file content (the tar stream is slightly larger: headers, padding). */
  bytes: number;
}

export type DatasetSpec =
  | { kind: 'big'; name: string; label: string; files: number; bytesPerFile: number }
  | { kind: 'small'; name: string; label: string; files: number; medianBytes: number }
  | { kind: 'compiler'; name: string; label: string; files: number };

/** Writes `size` incompressible bytes (AES-CTR keystream, so deterministic and fast to make). */
async function writeNoise(file: string, size: number, seed: number): Promise<void> {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const out = createWriteStream(file);
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  for (let left = size; left > 0; left -= zeros.length) {
    const piece = cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

/** `count` small text files (log-normal sizes around `medianBytes`) in directories of 100. */
async function writeSmallFiles(root: string, count: number, medianBytes: number): Promise<number> {
  const random = prng(11);
  // Slices of one pool of source-like text: compressible like a package store, quick to make.
  const pool = text(4 * 1024 * 1024, random);
  let total = 0;
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const dir = join(
      root,
      `d${Math.floor(i / 100)
        .toString()
        .padStart(4, '0')}`,
    );
    if (i % 100 === 0) await fs.mkdir(dir, { recursive: true });
    const gaussian = Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random());
    const size = Math.min(pool.length / 2, Math.max(16, Math.round(medianBytes * Math.exp(gaussian * 0.8))));
    const at = Math.floor(random() * (pool.length - size));
    total += size;
    jobs.push(fs.writeFile(join(dir, `f${i}.js`), pool.subarray(at, at + size)));
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  return total;
}

async function sizeOf(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += (await fs.stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/**
 * Makes the dataset under `work` unless an identical one is there already (a `.spec` file
 * records what was made), so repeated runs with --keep skip the generation.
 */
export async function prepareDataset(work: string, spec: DatasetSpec): Promise<Dataset> {
  const base = join(work, spec.name);
  const workspace = join(base, 'ws');
  const root = join(workspace, 'data');
  const marker = join(base, '.spec');
  const wanted = JSON.stringify(spec);
  const existing = await fs.readFile(marker, 'utf8').catch(() => undefined);
  if (existing !== wanted) {
    await fs.rm(base, { recursive: true, force: true });
    await fs.mkdir(root, { recursive: true });
    if (spec.kind === 'big') {
      for (let i = 0; i < spec.files; i++)
        await writeNoise(join(root, `big-${i}.bin`), spec.bytesPerFile, i + 1);
    } else if (spec.kind === 'small') {
      await writeSmallFiles(root, spec.files, spec.medianBytes);
    } else {
      await makeCompilerCache(root, spec.files);
    }
    await fs.writeFile(marker, wanted);
  }
  const { files, bytes } = await sizeOf(root);
  return { name: spec.name, label: spec.label, workspace, paths: ['data'], files, bytes };
}
