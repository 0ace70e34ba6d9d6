import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ChildJob, ChildResult } from './child.js';
import { REPO_ROOT } from './lab.js';

/** Runs one save or restore in a child process (src/child.ts) and returns its timing and peak RSS. */
export function runChild(job: ChildJob): Promise<ChildResult> {
  const script = join(import.meta.dirname, 'child.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--no-warnings', '--conditions=source', '--import', 'tsx', script, JSON.stringify(job)],
      // From the repository root, where `tsx` (a root devDependency) resolves.
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${job.op} child exited ${code}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice('RESULT '.length)) as ChildResult);
    });
  });
}
