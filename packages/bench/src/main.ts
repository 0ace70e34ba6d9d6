/**
 * `pnpm bench` (root `npm run bench`): s3cache against the pipeline it replaces and against this
 * machine's ceiling, in one run on one S3 server; peak RSS; delta savings; janitor planner scale.
 *
 *   npm run bench                        full sizes (1 GiB file, 50,000 files, ... ; ~30 min on 2 cores)
 *   npm run bench -- --quick             small sizes: proves the suite works, numbers not representative
 *   npm run bench -- --only transfer,rss --reps 5 --keep
 *
 * Options: --quick, --reps N, --only SECTIONS (transfer, rss, deltas, planner), --datasets NAMES
 * (big, small, compiler), --work DIR (default: $TMPDIR/s3cache-bench), --keep (keep the generated
 * datasets for the next run), --no-install (do not apt-get awscli/zstd), --no-verify, --out DIR
 * (default: bench-results/ at the repository root), --codec native|node:zlib (default node:zlib, what
 * the bundled action uses; native is @mongodb-js/zstd, what the CLI uses where it loads).
 *
 * `npm run bench` runs it on Node 24 (scripts/node24.sh), the runtime the action ships on.
 *
 * Needs ~20 GB of free disk under --work for the full sizes (restored trees are kept until the end:
 * deleting big trees mid-run slows the file system down for the next measurement).
 *
 * S3: S3CACHE_TEST_ENDPOINT and its credentials when set (see README), otherwise a local Ceph RGW
 * lab is started for the run (scripts/s3-lab.sh) and stopped at the end.
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { relaxHeapGrowth } from '@s3cache/core';
import { parseConfig } from './config.js';
import { renderMarkdown } from './report.js';
import { runSuite } from './suite.js';

// @actions/glob logs `::debug::` workflow commands on stdout; outside a workflow they are noise.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === 'string' && chunk.startsWith('::debug::')
    ? true
    : write(chunk, ...rest)) as typeof process.stdout.write;

// s3cache runs in this process, tuned as the action and the CLI tune theirs.
relaxHeapGrowth();
const config = parseConfig(process.argv.slice(2));
const results = await runSuite(config);
const markdown = renderMarkdown(results);
await fs.mkdir(config.outDir, { recursive: true });
await fs.writeFile(join(config.outDir, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
await fs.writeFile(join(config.outDir, 'bench.md'), `${markdown}\n`);
console.log(`\n${markdown}`);
console.log(`Results: ${join(config.outDir, 'bench.json')}, ${join(config.outDir, 'bench.md')}`);
