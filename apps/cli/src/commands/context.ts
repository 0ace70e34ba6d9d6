import { resolve } from 'node:path';
import { ExitCode as Exit, type ExitCode } from '../exit-codes.js';
import { readGitFacts } from '../git/git-context.js';
import type { CliIo } from '../io.js';
import {
  needsGit,
  type RunContext,
  type RunContextFlags,
  resolveRunContext,
} from '../options/run-context.js';
import { chooseStore, type StoreChoice } from '../options/store-options.js';
import { chooseProgressMode, Reporter } from '../output/reporter.js';
import { type OpenedStore, openStore } from '../store/open-store.js';

/** Options every command accepts (declared on the root program). */
export interface GlobalFlags {
  store?: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  json?: boolean;
  verbose?: boolean;
  /** False with --no-progress. */
  progress?: boolean;
}

/** What a command's action gets: I/O, output, the store, and an exit status to set. */
export class CommandContext {
  readonly out: Reporter;
  /** A command that has already reported its outcome (a miss, a failed check) sets this. */
  exitCode: ExitCode = Exit.ok;
  private opened: OpenedStore | undefined;

  constructor(
    readonly io: CliIo,
    readonly flags: GlobalFlags,
  ) {
    const json = flags.json === true;
    this.out = new Reporter(io.stdout, io.stderr, {
      json,
      verbose: flags.verbose === true,
      progress: chooseProgressMode({
        stderrIsTTY: io.stderr.isTTY === true,
        env: io.env,
        json,
        progress: flags.progress !== false,
      }),
    });
  }

  storeChoice(): StoreChoice {
    return chooseStore(this.flags, this.io);
  }

  /** Opens the store once per command. */
  store(): OpenedStore {
    this.opened ??= openStore(this.storeChoice(), this.io.aws);
    return this.opened;
  }

  async runContext(flags: RunContextFlags): Promise<RunContext> {
    // A --workspace elsewhere is the checkout to ask, not the directory the CLI runs in.
    const checkout = resolve(this.io.cwd, flags.workspace ?? '.');
    const facts = needsGit(flags, this.io.env)
      ? await readGitFacts(this.io.git, checkout)
      : { repository: undefined, branch: undefined, defaultBranch: undefined };
    return resolveRunContext(flags, this.io.env, facts, this.io.cwd);
  }
}
