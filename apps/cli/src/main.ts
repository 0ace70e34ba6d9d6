import { CommanderError } from 'commander';
import { CommandContext, type GlobalFlags } from './commands/context.js';
import type { Action } from './commands/run.js';
import { readAccountPublicAccess } from './doctor/account.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { type CliIo, nodeIo } from './io.js';
import { Reporter } from './output/reporter.js';
import { buildProgram } from './program.js';

/**
 * Runs the CLI with `argv` (arguments only, without node and the script) and resolves to the
 * exit status. Everything outside the process's own logic comes from `io`; tests pass fakes for
 * the parts they care about and get the real ones for the rest.
 */
export async function main(argv: readonly string[], overrides: Partial<CliIo> = {}): Promise<number> {
  const io = withDefaults(overrides);
  let context: CommandContext | undefined;

  const action: Action =
    (handler) =>
    async (...args) => {
      // commander passes the command's own options, then the command itself, last.
      const command = args.at(-1) as import('commander').Command;
      const flags = command.optsWithGlobals() as GlobalFlags;
      context = new CommandContext(io, flags);
      await handler(context, command.opts() as never, command);
    };

  const program = buildProgram(action)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  // Subcommands were created before exitOverride/configureOutput: apply them there as well.
  for (const command of program.commands) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context?.exitCode ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message or the help already.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const out =
      context?.out ?? new Reporter(io.stdout, io.stderr, { json: false, verbose: false, progress: 'off' });
    const code = exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    if (out.json) {
      out.emitJson({
        ok: false,
        error: { name: err instanceof Error ? err.name : 'Error', message, exitCode: code },
      });
    }
    out.error(message);
    if (err instanceof Error && err.stack) out.debug(err.stack);
    return code;
  } finally {
    io.aws.destroy();
  }
}

function withDefaults(overrides: Partial<CliIo>): CliIo {
  const io: CliIo = { ...nodeIo(), ...overrides };
  // Injected AWS clients must also serve the account-level check unless a test replaced it.
  if (overrides.aws && !overrides.accountPublicAccess) {
    io.accountPublicAccess = (request) => readAccountPublicAccess(io.aws, request);
  }
  return io;
}
