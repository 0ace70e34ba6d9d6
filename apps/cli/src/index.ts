// The s3cache command line as a library: `main` runs a command in-process (tests, embedding).
export { type AwsClientFactory, type AwsSettings, createAwsClientFactory } from './aws/clients.js';
export type {
  AccountPublicAccessReader,
  AccountPublicAccessRequest,
  AccountPublicAccessResult,
} from './doctor/account.js';
export { type CheckResult, type CheckStatus, runChecks } from './doctor/checks.js';
export { EXIT_CODES_HELP, ExitCode, UsageError } from './exit-codes.js';
export type { CliIo, Env, OutputStream } from './io.js';
export { nodeIo } from './io.js';
export { main } from './main.js';
