import type { Command } from 'commander';
import { runChecks, summarize } from '../doctor/checks.js';
import { gatherBucketFacts } from '../doctor/probe.js';
import { formatDoctorReport } from '../doctor/render.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { commandHelp } from '../program.js';
import type { Action } from './run.js';

interface DoctorFlags {
  accountId?: string;
}

export function registerDoctor(program: Command, action: Action): void {
  program
    .command('doctor')
    .summary("check a cache bucket's security and lifecycle configuration")
    .description(
      'Checks a deployed cache bucket: public access blocked (bucket and account), a TLS-only bucket ' +
        'policy, lifecycle rules (delta and base expirations, aborting incomplete uploads in its own ' +
        'unfiltered rule, no rule mixing a tag filter with abort), default encryption, versioning off, ' +
        'and bucket-owner-enforced object ownership. Prints ok/warn/fail with the fix for each problem. ' +
        'Checks an endpoint cannot answer (S3-compatible servers) are warnings. Any failure exits 1.',
    )
    .option(
      '--account-id <id>',
      'AWS account id for the account-level check (default: from STS GetCallerIdentity)',
    )
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache doctor --store s3://ci-cache
$ s3cache doctor --store s3://ci-cache --profile ops --account-id 123456789012 --json
$ s3cache doctor --store s3://cache --endpoint http://127.0.0.1:7480`),
    )
    .action(
      action<DoctorFlags>(async (ctx, flags) => {
        const opened = ctx.store();
        if (!opened.s3) {
          throw new UsageError(
            `doctor checks an S3 bucket; ${opened.location} is a local directory (use --store s3://bucket)`,
          );
        }
        if (flags.accountId !== undefined && !/^\d{12}$/.test(flags.accountId)) {
          throw new UsageError(`--account-id must be 12 digits, got ${JSON.stringify(flags.accountId)}`);
        }
        const settings = opened.choice.aws;
        const facts = await gatherBucketFacts(opened.s3.client, opened.s3.bucket, opened.layout.prefix, () =>
          ctx.io.accountPublicAccess({ settings, accountId: flags.accountId }),
        );
        const results = runChecks(facts);
        const counts = summarize(results);
        ctx.out.print(formatDoctorReport(opened.location, results));
        ctx.out.emitJson({
          command: 'doctor',
          ok: counts.fail === 0,
          store: opened.location,
          summary: counts,
          checks: results,
        });
        if (counts.fail > 0) ctx.exitCode = ExitCode.failure;
      }),
    );
}
