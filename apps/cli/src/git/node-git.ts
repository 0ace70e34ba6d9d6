import { execFile } from 'node:child_process';
import type { GitRunner } from './git-context.js';

/** git through child_process: a missing git, a non-repository or a slow file system all mean "unknown". */
export const nodeGit: GitRunner = (args, cwd) =>
  new Promise((resolve) => {
    execFile('git', [...args], { cwd, timeout: 5_000, windowsHide: true }, (err, stdout) => {
      resolve(err ? undefined : stdout.toString().trim());
    });
  });
