import { performance } from 'node:perf_hooks';
import * as core from '@actions/core';
import { type Logger, ValidationError, type WorkerScript } from '@s3cache/core';
import { CacheBackend } from './backend.js';
import { OIDC_AUDIENCE } from './constants.js';
import { roleSessionName } from './credentials.js';
import type { Env, ReadInput, S3Settings } from './inputs.js';

/** What the restore and save implementations take from the runner: injectable for tests. */
export interface ActionDeps {
  env: Env;
  input: ReadInput;
  connect: (settings: S3Settings) => Promise<CacheBackend>;
}

/** Engine logs go to the step log; the engine's warnings become annotations. */
export const runnerLogger: Logger = {
  info: (message) => core.info(message),
  warn: (message) => core.warning(message),
  debug: (message) => core.debug(message),
};

export function runnerDeps(env: Env = process.env, options: { worker?: WorkerScript } = {}): ActionDeps {
  return {
    env,
    input: (name) => core.getInput(name),
    connect: (settings) =>
      CacheBackend.connect({
        settings,
        log: runnerLogger,
        getIDToken: (audience) => core.getIDToken(audience),
        audience: OIDC_AUDIENCE,
        sessionName: roleSessionName(env),
        worker: options.worker,
      }),
  };
}

/** Runs `fn` with a connected backend and always closes it. */
export async function withBackend<T>(
  deps: ActionDeps,
  settings: S3Settings,
  fn: (backend: CacheBackend, connectSeconds: number) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const backend = await deps.connect(settings);
  try {
    return await fn(backend, (performance.now() - started) / 1000);
  } finally {
    backend.close();
  }
}

/** Validation errors fail the step; anything else reaching the top is a bug: warn, never break the job. */
export function reportTopLevel(err: unknown): void {
  if (err instanceof ValidationError) {
    core.setFailed(err.message);
    return;
  }
  core.debug(`s3cache: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
  core.warning(
    `s3cache: unexpected error, continuing without the cache: ${(err as Error)?.message ?? String(err)}`,
  );
}

export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
