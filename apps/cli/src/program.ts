import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerJanitor } from './commands/janitor.js';
import { registerLs } from './commands/ls.js';
import { registerRestore } from './commands/restore.js';
import { registerRm } from './commands/rm.js';
import type { Action } from './commands/run.js';
import { registerSave } from './commands/save.js';
import { registerStats } from './commands/stats.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

const ENV_HELP = `Environment:
  S3CACHE_STORE     store used when --store is not given (s3://bucket/prefix or a directory)
  S3CACHE_ENDPOINT  S3-compatible endpoint (Ceph RGW, MinIO, ...) when --endpoint is not given
  AWS_REGION        region when --region is not given (then AWS_DEFAULT_REGION, then us-east-1)
  AWS_PROFILE       profile of the shared AWS config when --profile is not given
  CI                when set, no progress output
  Credentials come from the usual AWS chain (environment, SSO, shared files, instance role).`;

function version(): string {
  // dist/program.js and src/program.ts both sit one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/** The command tree. `action` wraps each command's handler (context, error handling). */
export function buildProgram(action: Action): Command {
  const program = new Command('s3cache')
    .description(
      'A self-hosted, S3-backed cache compatible with actions/cache: save and restore from any ' +
        'machine, inspect and clean a cache bucket, check its configuration.\n\n' +
        'Without --store it uses an embedded local store, so `s3cache demo` works with no cloud at all.',
    )
    .version(version(), '-V, --version')
    .addOption(
      new Option(
        '--store <url>',
        's3://bucket/prefix, file:///dir or a directory (default: embedded local store)',
      ),
    )
    .addOption(new Option('--endpoint <url>', 'S3-compatible endpoint URL (path-style addressing)'))
    .addOption(new Option('--region <region>', 'AWS region of the bucket'))
    .addOption(new Option('--profile <name>', 'AWS shared-config profile'))
    .option('--json', 'print one JSON document on stdout instead of text')
    .option('--no-progress', 'never show progress (it is off anyway in CI and with --json)')
    .option('-v, --verbose', 'print debug notes and error stacks')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText(
      'after',
      `
Examples:
  $ s3cache demo                                   # try it: no cloud needed
  $ s3cache save --path node_modules --key deps-$(sha256sum package-lock.json | cut -c1-16)
  $ s3cache restore --path node_modules --key deps-abc --restore-key deps-
  $ s3cache ls --store s3://my-cache-bucket --repository acme/app
  $ s3cache doctor --store s3://my-cache-bucket

${ENV_HELP}

${EXIT_CODES_HELP}`,
    );

  registerSave(program, action);
  registerRestore(program, action);
  registerLs(program, action);
  registerRm(program, action);
  registerStats(program, action);
  registerJanitor(program, action);
  registerDoctor(program, action);
  registerDemo(program, action);
  return program;
}

/** Help text shared by every command: examples first, then exit codes. */
export function commandHelp(examples: string): string {
  return `\nExamples:\n${examples
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}\n\n${EXIT_CODES_HELP}`;
}
