// Bundles the action's entry points into dist/*.mjs. dist/ is committed: the runner executes it
// straight from the repository checkout, with no node_modules.
//
//   node scripts/build.mjs           rebuild dist/
//   node scripts/build.mjs --check   rebuild into a temporary directory; exit 1 when dist/ differs
//
// The output is deterministic (same sources and lockfile, same bytes), which is what makes the
// check meaningful.
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.join(packageDir, 'dist');
const ENTRIES = ['main', 'post', 'restore', 'save', 'worker'];

/** @param {string} outdir */
async function bundle(outdir) {
  await rm(outdir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: packageDir,
    entryPoints: ENTRIES.map((name) => `src/${name}.ts`),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // The four entries share nearly all their code: one shared chunk instead of four copies.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // Workspace packages (@s3cache/core) are bundled from their TypeScript sources.
    conditions: ['source'],
    // Optional native binding: absent from the bundle, so core falls back to node:zlib's zstd.
    external: ['@mongodb-js/zstd'],
    // CommonJS dependencies call require() for Node built-ins; ESM has no require of its own.
    banner: {
      js: "import { createRequire as __s3cacheCreateRequire } from 'node:module';\nconst require = __s3cacheCreateRequire(import.meta.url);",
    },
    legalComments: 'eof',
    minifySyntax: true,
    minifyWhitespace: true,
    logLevel: 'warning',
  });
}

/** Relative paths of every file below `dir`, sorted. @param {string} dir */
async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function check() {
  const tmp = await mkdtemp(path.join(tmpdir(), 's3cache-action-dist-'));
  try {
    const fresh = path.join(tmp, 'dist');
    await bundle(fresh);
    const [want, have] = await Promise.all([listFiles(fresh), listFiles(distDir)]);
    const problems = [];
    for (const file of want) {
      if (!have.includes(file)) problems.push(`missing: dist/${file}`);
      else if (!(await readFile(path.join(fresh, file))).equals(await readFile(path.join(distDir, file)))) {
        problems.push(`differs: dist/${file}`);
      }
    }
    for (const file of have) if (!want.includes(file)) problems.push(`stale: dist/${file}`);
    if (problems.length > 0) {
      console.error(
        `check-dist: packages/action/dist does not match the sources:\n  ${problems.join('\n  ')}`,
      );
      console.error(
        'Fix: run `sh scripts/pnpm.sh --filter @s3cache/action build` and commit packages/action/dist.',
      );
      process.exitCode = 1;
      return;
    }
    console.log(`check-dist: packages/action/dist matches the sources (${want.length} files).`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Builds beside dist/ and swaps it in, so that a concurrent reader (a test spawning dist/main.mjs,
 * another build) never sees a half-written or missing dist/.
 */
async function build() {
  const fresh = await mkdtemp(path.join(packageDir, '.dist-'));
  const old = `${fresh}-old`;
  try {
    await bundle(fresh);
    await rename(distDir, old).catch((err) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(fresh, distDir);
  } finally {
    await rm(fresh, { recursive: true, force: true });
    await rm(old, { recursive: true, force: true });
  }
}

if (process.argv.includes('--check')) {
  await check();
} else {
  await build();
}
