// The action.yml files users reference (org/s3cache, org/s3cache/restore, org/s3cache/save)
// against what the code reads and what actions/cache declares.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inputs, Outputs } from '../src/constants.js';
import { repoRoot } from './harness.js';

interface Metadata {
  inputs: Map<string, { default?: string; required?: string }>;
  outputs: string[];
  runs: Record<string, string>;
}

/** A plain, single- or double-quoted YAML scalar (no escapes in these files' values that matter here). */
const scalar = (value: string): string => value.trim().replace(/^(['"])(.*)\1$/, '$2');

/** Reads our own action.yml files: two-space indented maps of scalars (enough for these files). */
function readMetadata(file: string): Metadata {
  const meta: Metadata = { inputs: new Map(), outputs: [], runs: {} };
  let section = '';
  let current: { default?: string; required?: string } | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const top = /^(\w[\w-]*):/.exec(line);
    if (top) {
      section = top[1] ?? '';
      continue;
    }
    const entry = /^ {2}([\w-]+):\s*(.*)$/.exec(line);
    if (entry) {
      const [, name = '', value = ''] = entry;
      if (section === 'inputs') {
        current = {};
        meta.inputs.set(name, current);
      } else if (section === 'outputs') meta.outputs.push(name);
      else if (section === 'runs') meta.runs[name] = scalar(value);
      continue;
    }
    const field = /^ {4}(default|required):(.*)$/.exec(line);
    if (field && section === 'inputs' && current)
      current[field[1] as 'default' | 'required'] = scalar(field[2] ?? '');
  }
  return meta;
}

const actions = {
  combined: 'action.yml',
  restore: 'restore/action.yml',
  save: 'save/action.yml',
} as const;

const S3_INPUTS = [Inputs.Bucket, Inputs.Region, Inputs.Endpoint, Inputs.Prefix, Inputs.RoleToAssume];

describe('action metadata', () => {
  const meta = Object.fromEntries(
    Object.entries(actions).map(([name, file]) => [name, readMetadata(path.join(repoRoot, file))]),
  ) as Record<keyof typeof actions, Metadata>;

  it('declares the inputs of actions/cache, in its names, plus the S3 settings', () => {
    expect([...meta.combined.inputs.keys()].sort()).toEqual(Object.values(Inputs).sort());
    expect([...meta.restore.inputs.keys()].sort()).toEqual(
      [
        Inputs.Path,
        Inputs.Key,
        Inputs.RestoreKeys,
        Inputs.EnableCrossOsArchive,
        Inputs.FailOnCacheMiss,
        Inputs.LookupOnly,
        Inputs.UseDeltas,
        Inputs.ClearCache,
        ...S3_INPUTS,
      ].sort(),
    );
    expect([...meta.save.inputs.keys()].sort()).toEqual(
      [
        Inputs.Path,
        Inputs.Key,
        Inputs.UploadChunkSize,
        Inputs.EnableCrossOsArchive,
        Inputs.UseDeltas,
        ...S3_INPUTS,
      ].sort(),
    );
  });

  it('requires path and key, and gives S3 settings no default so the S3CACHE_* variables apply', () => {
    for (const m of Object.values(meta)) {
      expect(m.inputs.get(Inputs.Path)?.required).toBe('true');
      expect(m.inputs.get(Inputs.Key)?.required).toBe('true');
      for (const name of S3_INPUTS) expect(m.inputs.get(name)).toEqual({ required: 'false' });
      if (m.inputs.has(Inputs.UseDeltas)) expect(m.inputs.get(Inputs.UseDeltas)?.default).toBe('true');
    }
  });

  it('declares the outputs of actions/cache', () => {
    expect(meta.combined.outputs).toEqual([Outputs.CacheHit]);
    expect(meta.restore.outputs).toEqual([
      Outputs.CacheHit,
      Outputs.CachePrimaryKey,
      Outputs.CacheMatchedKey,
    ]);
    expect(meta.save.outputs).toEqual([]);
  });

  it('runs the bundles on node24; the combined action saves in a post step only on success', () => {
    expect(meta.combined.runs).toEqual({
      using: 'node24',
      main: 'packages/action/dist/main.mjs',
      post: 'packages/action/dist/post.mjs',
      'post-if': 'success()',
    });
    expect(meta.restore.runs).toEqual({ using: 'node24', main: '../packages/action/dist/restore.mjs' });
    expect(meta.save.runs).toEqual({ using: 'node24', main: '../packages/action/dist/save.mjs' });
    for (const [name, file] of Object.entries(actions)) {
      const m = meta[name as keyof typeof actions];
      for (const script of [m.runs.main, m.runs.post]) {
        if (script) expect(existsSync(path.join(repoRoot, path.dirname(file), script)), script).toBe(true);
      }
    }
  });
});
