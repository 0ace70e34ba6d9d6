import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as zlib from 'node:zlib';
import { REPO_ROOT } from './lab.js';
import { defaultConfig, SECTIONS, type Section, type SuiteConfig } from './suite.js';

/** The suite's configuration from `pnpm bench` arguments (see main.ts). */
export function parseConfig(argv: string[]): SuiteConfig & { outDir: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string' },
      datasets: { type: 'string' },
      work: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      'no-verify': { type: 'boolean', default: false },
      out: { type: 'string' },
      codec: { type: 'string' },
    },
    strict: true,
  });
  const base = defaultConfig(values.quick ?? false);
  const list = (v: string | undefined) =>
    v
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const only = list(values.only);
  for (const s of only ?? []) if (!SECTIONS.includes(s as Section)) throw new Error(`unknown section ${s}`);
  const names = list(values.datasets);
  // By default what the bundled action runs with: node:zlib's zstd (Node >= 22.15), else the default.
  const codec = values.codec ?? (typeof zlib.zstdCompress === 'function' ? 'node:zlib' : undefined);
  if (codec !== undefined && codec !== 'native' && codec !== 'node:zlib') {
    throw new Error(`--codec must be native or node:zlib, not ${codec}`);
  }
  const reps = values.reps === undefined ? base.reps : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer`);
  return {
    ...base,
    reps,
    sections: only ? new Set(only as Section[]) : base.sections,
    datasets: names ? base.datasets.filter((d) => names.includes(d.name)) : base.datasets,
    install: !values['no-install'],
    verify: !values['no-verify'],
    keep: values.keep ?? false,
    work: values.work ?? join(os.tmpdir(), 's3cache-bench'),
    ...(codec ? { codec } : {}),
    outDir: values.out ?? join(REPO_ROOT, 'bench-results'),
  };
}
