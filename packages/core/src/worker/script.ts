import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * How to start s3cache's worker thread, which archives for saves (see chunk-worker.ts) so that
 * reading the files and the transfer each have a core.
 */
export interface WorkerScript {
  /** The worker's module. */
  url: URL;
  /**
   * For a TypeScript module (this repository's tests and benchmarks, run from source): the URL of
   * tsx's ESM API, registered in the worker before the module loads. Worker `execArgv` cannot
   * carry `--import tsx` on Node 20.
   */
  tsx?: string;
}

/**
 * The worker script of this package: `entry.js` in a build, or the TypeScript source through
 * tsx. Undefined when neither is there, as in a bundle (which ships its own: see the action's
 * dist/worker.mjs); the work then stays on the main thread.
 */
export function defaultWorkerScript(): WorkerScript | undefined {
  const here = import.meta.url;
  if (here.endsWith('.js')) return scriptAt(new URL('./entry.js', here));
  if (!here.endsWith('.ts')) return undefined;
  const tsx = tsxApi(here);
  const script = tsx ? scriptAt(new URL('./entry.ts', here)) : undefined;
  return script && tsx ? { ...script, tsx } : undefined;
}

/** `url` as a worker script, if the file is there. */
export function scriptAt(url: URL): WorkerScript | undefined {
  return existsSync(fileURLToPath(url)) ? { url } : undefined;
}

function tsxApi(from: string): string | undefined {
  try {
    const root = path.dirname(createRequire(from).resolve('tsx/package.json'));
    const api = path.join(root, 'dist', 'esm', 'api', 'index.mjs');
    return existsSync(api) ? pathToFileURL(api).href : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the worker with `workerData`. */
export function startWorker(script: WorkerScript, workerData: unknown): Worker {
  if (!script.tsx) return new Worker(script.url, { workerData });
  const code = `import(${JSON.stringify(script.tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(script.url.href)}); });`;
  return new Worker(code, { eval: true, workerData, execArgv: ['--conditions=source'] });
}
