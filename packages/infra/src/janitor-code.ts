import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

/** The janitor handler in this monorepo (same relative path from `src/` and `dist/`). */
export const DEFAULT_JANITOR_ENTRY = fileURLToPath(
  new URL('../../janitor-lambda/src/handler.ts', import.meta.url),
);

export interface JanitorCodeOptions {
  /**
   * TypeScript entry exporting `handler`.
   * @default DEFAULT_JANITOR_ENTRY (packages/janitor-lambda/src/handler.ts)
   */
  readonly entry?: string;
  /**
   * Modules left out of the bundle. `@mongodb-js/zstd` is a native addon that cannot be bundled
   * (and ships no linux-arm64 build here); the Lambda runtime has zstd in node:zlib instead.
   * @default ['@mongodb-js/zstd']
   */
  readonly externalModules?: readonly string[];
}

// Serialisable fields matter: CDK caches bundles per process by hashing the bundling options,
// so two different entries never share a bundle.
class EsbuildBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly externalModules: readonly string[],
  ) {}

  tryBundle(outputDir: string): boolean {
    const packageDir = packageDirOf(this.entry);
    buildSync({
      absWorkingDir: packageDir,
      entryPoints: [relative(packageDir, this.entry)],
      outfile: join(outputDir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      // Workspace packages export their TypeScript under the `source` condition, so the bundle
      // never depends on a prior `tsc` build of @s3cache/core.
      conditions: ['source'],
      mainFields: ['module', 'main'],
      external: [...this.externalModules],
      // CommonJS dependencies (the AWS SDK's) call require(); ESM output has none.
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      legalComments: 'none',
      logLevel: 'error',
    });
    return true;
  }
}

/** The nearest directory holding a package.json: esbuild resolves dependencies from there. */
function packageDirOf(entry: string): string {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(entry);
  }
}

/**
 * The janitor bundled with the locally installed esbuild at synth time: works offline, without
 * Docker and without a global pnpm (which `NodejsFunction` would need to run esbuild in a pnpm
 * workspace).
 */
export function janitorCode(options: JanitorCodeOptions = {}): lambda.Code {
  const entry = options.entry ?? DEFAULT_JANITOR_ENTRY;
  if (!existsSync(entry)) throw new Error(`janitor entry ${entry} does not exist`);
  return lambda.Code.fromAsset(packageDirOf(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws.
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      local: new EsbuildBundling(entry, options.externalModules ?? ['@mongodb-js/zstd']),
    },
  });
}
