import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageDir } from './harness.js';

describe('dist/', () => {
  // The end-to-end tests run dist/: it must be what the sources build to (check-dist).
  it('matches the sources', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(packageDir, 'scripts/build.mjs'), '--check'],
      {
        cwd: packageDir,
      },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    expect(stdout).toMatch(/matches the sources/);
  }, 60_000);
});
