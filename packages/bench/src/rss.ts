import { join } from 'node:path';
import type { ChildJob, ChildResult } from './child.js';
import { REPO_ROOT } from './lab.js';
import { run } from './util.js';

/** Runs one save or restore in a child process (src/child.ts) and returns its timing and peak RSS. */
export async function runChild(job: ChildJob): Promise<ChildResult> {
  const script = join(import.meta.dirname, 'child.ts');
  const { stdout } = await run(
    process.execPath,
    ['--no-warnings', '--conditions=source', '--import', 'tsx', script, JSON.stringify(job)],
    // From the repository root, where `tsx` (a root devDependency) resolves.
    { cwd: REPO_ROOT },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${job.op} child printed no RESULT line`);
  return JSON.parse(line.slice('RESULT '.length)) as ChildResult;
}
