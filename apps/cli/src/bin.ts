#!/usr/bin/env node
import { relaxHeapGrowth } from '@s3cache/core';
import { main } from './main.js';

// Saves and restores pass gigabytes of buffers through a small heap: see relaxHeapGrowth.
relaxHeapGrowth();

// Warnings Node prints on its own would land in the middle of our output: the AWS SDK's notice
// about Node versions it will stop supporting, and node:zlib's "zstd is experimental". Everything
// else is still printed.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'NodeVersionSupportWarning') return;
  if (warning.name === 'ExperimentalWarning' && /zstd/i.test(warning.message)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

// @actions/glob (used by the engine to resolve paths) reports through @actions/core, which writes
// `::debug::` workflow commands to stdout unconditionally. They mean nothing outside a runner and
// would corrupt `--json` output, so they are dropped here, at the process boundary.
const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
  typeof chunk === 'string' && chunk.startsWith('::debug::')
    ? true
    : write(chunk, ...rest)) as typeof process.stdout.write;

process.exitCode = await main(process.argv.slice(2));
