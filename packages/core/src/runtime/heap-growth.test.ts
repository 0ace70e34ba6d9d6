import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { v8AtLeast } from './heap-growth.js';

const run = promisify(execFile);

describe('relaxHeapGrowth', () => {
  it('sets a flag this V8 knows, silently, once per process', async () => {
    const { stdout } = await run(process.execPath, ['--v8-options']);
    expect(stdout).toMatch(/--heap-growing-percent \(/);
    if (v8AtLeast(process.versions.v8, [13, 6])) {
      expect(stdout).toMatch(/--external-memory-accounted-in-global-limit \(/);
    }
    // V8 reports a flag it does not know on stderr instead of failing: a future Node dropping
    // this one must not go unnoticed, nor print into a user's job log.
    const url = new URL('./heap-growth.ts', import.meta.url).href;
    const child = await run(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { relaxHeapGrowth } = await import(${JSON.stringify(url)}); relaxHeapGrowth(); relaxHeapGrowth(); console.log('ok');`,
    ]);
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('ok');
  }, 30_000);

  it('compares V8 versions by major and minor', () => {
    expect(v8AtLeast('13.6.233.17-node.28', [13, 6])).toBe(true);
    expect(v8AtLeast('14.0.1', [13, 6])).toBe(true);
    expect(v8AtLeast('13.5.9', [13, 6])).toBe(false);
    expect(v8AtLeast('11.3.244.8-node.30', [13, 6])).toBe(false);
  });
});
