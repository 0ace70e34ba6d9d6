import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('relaxHeapGrowth', () => {
  it('sets a flag this V8 knows, silently, once per process', async () => {
    const { stdout } = await run(process.execPath, ['--v8-options']);
    expect(stdout).toMatch(/--heap-growing-percent \(/);
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
});
