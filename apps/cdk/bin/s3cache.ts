// The CDK app entry point (cdk.json runs it through tsx). The config path may be overridden with
// S3CACHE_CONFIG, e.g. to keep one config file per account.
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@s3cache/infra';
import { buildApp } from '../src/app.js';

const configPath =
  process.env.S3CACHE_CONFIG ?? fileURLToPath(new URL('../s3cache.config.json', import.meta.url));

try {
  buildApp({ config: loadConfig(configPath) }).app.synth();
} catch (error) {
  // A config mistake is the user's to fix: show the list of problems, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
