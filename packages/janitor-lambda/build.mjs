// Bundles for running without node_modules:
//   node build.mjs          dist/handler.mjs: the Lambda (ESM, Node 24), every dependency inside
//   node build.mjs bench    dist/bench/planner.mjs: the planner benchmark, for this machine's Node
// Workspace packages are taken from their TypeScript sources (the `source` export condition),
// so a bundle never depends on another package's dist being fresh.
import { build } from 'esbuild';

const what = process.argv[2] ?? 'handler';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  conditions: ['source'],
  sourcemap: true,
  // Smaller and faster to load; names kept because errors report their class name (new.target.name).
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // Some CommonJS dependencies call require() for Node built-ins; ESM bundles need it defined.
  banner: {
    js: "import { createRequire as __s3cacheRequire } from 'node:module'; const require = __s3cacheRequire(import.meta.url);",
  },
};

if (what === 'handler') {
  await build({ ...common, entryPoints: ['src/handler.ts'], outfile: 'dist/handler.mjs', target: 'node24' });
} else if (what === 'bench') {
  await build({
    ...common,
    entryPoints: ['bench/planner.ts'],
    outfile: 'dist/bench/planner.mjs',
    target: `node${process.versions.node.split('.')[0]}`,
  });
} else {
  throw new Error(`unknown bundle "${what}": expected "handler" or "bench"`);
}
