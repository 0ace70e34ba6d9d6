import { performance } from 'node:perf_hooks';
import * as core from '@actions/core';
import {
  type EntryMatch,
  entryVersion,
  type RestoreResult,
  readScopes,
  type Scope,
  ValidationError,
} from '@s3cache/core';
import type { CacheBackend } from './backend.js';
import { Inputs, Outputs, State } from './constants.js';
import {
  clearRequest,
  isSupported,
  readRunContext,
  type SupportedRun,
  unsupportedReason,
} from './context.js';
import { explainError, isAccessDenied } from './explain.js';
import { formatBytes, formatList, formatRate, formatSeconds } from './format.js';
import {
  downloadTimeoutMs,
  type RestoreInputs,
  readRestoreInputs,
  readS3Settings,
  type S3Settings,
} from './inputs.js';
import { ProgressLog } from './progress.js';
import { type ActionDeps, reportTopLevel, runnerDeps, secondsSince, withBackend } from './runner.js';
import type { StateProvider } from './state.js';
import { type CacheReport, writeSummary } from './summary.js';

const HOW: Record<EntryMatch['how'], string> = {
  exact: 'exact match of the key',
  prefix: 'newest entry whose key starts with the key',
  'restore-key': 'exact match of a restore key',
  'restore-key-prefix': 'newest entry whose key starts with a restore key',
};

export const SAVE_ALWAYS_DEPRECATED =
  `\`${Inputs.SaveAlways}\` is deprecated (upstream too) and ignored: to save even when the job fails, ` +
  'add a separate s3cache/save step with `if: always()`.';

/**
 * The restore half shared by the combined action (state kept for the post step) and `restore`
 * (keys published as outputs). Returns the matched key, if any. Validation errors fail the step;
 * every other failure is a warning and a cache miss.
 */
export async function restoreImpl(
  state: StateProvider,
  deps: ActionDeps = runnerDeps(),
): Promise<string | undefined> {
  try {
    const run = readRunContext(deps.env);
    if (!isSupported(run)) {
      core.warning(unsupportedReason(run) ?? 'unsupported run');
      core.setOutput(Outputs.CacheHit, 'false');
      return undefined;
    }
    const inputs = readRestoreInputs(deps.input);
    state.setState(State.CachePrimaryKey, inputs.primaryKey);
    if (inputs.saveAlways) core.warning(SAVE_ALWAYS_DEPRECATED);
    const settings = readS3Settings(deps.input, deps.env);
    const timeoutMs = downloadTimeoutMs(deps.env, (m) => core.warning(m));
    return await restoreWithReport(state, deps, run, inputs, settings, timeoutMs);
  } catch (err) {
    reportTopLevel(err);
    return undefined;
  }
}

async function restoreWithReport(
  state: StateProvider,
  deps: ActionDeps,
  run: SupportedRun,
  inputs: RestoreInputs,
  settings: S3Settings,
  timeoutMs: number,
): Promise<string | undefined> {
  const version = entryVersion(inputs.paths, { enableCrossOsArchive: inputs.enableCrossOsArchive });
  const scopes = readScopes({ ref: run.ref, baseRef: run.baseRef, defaultBranch: run.defaultBranch });
  const report: CacheReport = { step: 'restore', key: inputs.primaryKey, result: 'miss' };
  logPlan(run.repository, inputs, scopes, version);

  let result: RestoreResult | undefined;
  try {
    result = await withBackend(deps, settings, async (backend, connectSeconds) => {
      core.info(`Cache store: ${backend.describe()}`);
      const phases = [`connect ${formatSeconds(connectSeconds)}`];
      const clearWhy = clearRequest(inputs.clearCache, run.headCommitMessage);
      if (clearWhy) {
        const started = performance.now();
        await clear(
          backend,
          { repository: run.repository, scope: run.ref, version, key: inputs.primaryKey },
          clearWhy,
        );
        phases.push(`clear ${formatSeconds(secondsSince(started))}`);
      }
      const progress = new ProgressLog('Received', (m) => core.info(m));
      const restored = await backend.restore({
        repository: run.repository,
        scopes,
        version,
        primaryKey: inputs.primaryKey,
        restoreKeys: inputs.restoreKeys,
        paths: inputs.paths,
        workspace: run.workspace,
        lookupOnly: inputs.lookupOnly,
        timeoutMs,
        onProgress: (downloaded, _raw, total) => progress.update(downloaded, total),
      });
      phases.push(
        `${inputs.lookupOnly || !restored.matchedKey ? 'lookup' : 'lookup + download + extract'} ${formatSeconds(restored.seconds)}`,
      );
      core.info(`Time: ${phases.join(', ')}`);
      return restored;
    });
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const message = explainError(err, settings);
    core.warning(`Cache not restored: ${message}`);
    report.result = 'error';
    report.note = message;
  }

  const matchedKey = result?.matchedKey;
  if (!result || matchedKey === undefined) {
    core.setOutput(Outputs.CacheHit, 'false');
    if (result)
      core.info(`Cache not found for input keys: ${[inputs.primaryKey, ...inputs.restoreKeys].join(', ')}`);
    await writeSummary(report);
    if (inputs.failOnCacheMiss) {
      core.setFailed(
        `Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${inputs.primaryKey}. ` +
          'Save the cache first (or drop fail-on-cache-miss) to let this job run without it.',
      );
    }
    return undefined;
  }

  state.setState(State.CacheMatchedKey, matchedKey);
  core.setOutput(Outputs.CacheHit, String(result.cacheHit));
  logRestored(result, matchedKey, inputs.lookupOnly);
  report.matchedKey = matchedKey;
  report.result = inputs.lookupOnly
    ? `found (lookup-only${result.cacheHit ? ', exact' : ''})`
    : result.cacheHit
      ? 'hit'
      : 'restore-key hit';
  if (!inputs.lookupOnly) {
    report.bytes = result.downloadedBytes;
    report.seconds = result.seconds;
  }
  if (result.match) report.note = `scope ${result.match.scope}`;
  await writeSummary(report);
  return matchedKey;
}

function logPlan(repository: string, inputs: RestoreInputs, scopes: readonly Scope[], version: string): void {
  core.info(`Looking for cache key: ${JSON.stringify(inputs.primaryKey)}`);
  core.info(`  restore keys: ${formatList(inputs.restoreKeys)}`);
  core.info(`  repository ${repository}, scopes in order: ${scopes.join(' -> ')}`);
  core.info(
    `  version ${version.slice(0, 12)} (paths ${formatList(inputs.paths)}${inputs.enableCrossOsArchive ? ', cross-OS' : ''})`,
  );
}

function logRestored(result: RestoreResult, matchedKey: string, lookupOnly: boolean): void {
  const how = result.match ? `${HOW[result.match.how]}, scope ${result.match.scope}` : '';
  const generation = result.generation ? `, generation ${result.generation}` : '';
  if (lookupOnly) {
    core.info(`Cache found and can be restored from key: ${matchedKey} (${how}${generation})`);
    core.info(
      `  size: ${formatBytes(result.downloadedBytes)} to download, ${formatBytes(result.rawBytes)} unpacked`,
    );
    return;
  }
  core.info(`Cache restored from key: ${matchedKey} (${how}${generation})`);
  const delta = result.deltaBytes > 0 ? ` (${formatBytes(result.deltaBytes)} of it from a delta)` : '';
  core.info(
    `  size: ${formatBytes(result.downloadedBytes)} downloaded${delta}, ${formatBytes(result.rawBytes)} unpacked, ` +
      `${formatRate(result.downloadedBytes, result.seconds)} compressed, ${formatRate(result.rawBytes, result.seconds)} unpacked`,
  );
}

/** Clearing problems never stop the restore: AccessDenied and the rest are warnings. */
async function clear(
  backend: CacheBackend,
  ref: { repository: string; scope: string; version: string; key: string },
  why: string,
): Promise<void> {
  core.info(`Clearing cache entry ${JSON.stringify(ref.key)} in scope ${ref.scope} (${why})`);
  try {
    const cleared = await backend.clearEntry(ref);
    core.info(
      cleared.existed
        ? `  deleted the entry (${cleared.deleted} objects); restoring continues with the restore keys and other scopes`
        : cleared.deleted > 0
          ? `  no manifest, deleted ${cleared.deleted} leftover objects`
          : '  nothing to clear: no such entry in this scope',
    );
  } catch (err) {
    if (isAccessDenied(err)) {
      core.warning(
        `Cannot clear cache entry ${JSON.stringify(ref.key)}: this job's credentials may not delete it (AccessDenied); ` +
          `grant s3:DeleteObject on the repository's scope or clear it from a job that may. Restoring without clearing.`,
      );
      return;
    }
    core.warning(
      `Cannot clear cache entry ${JSON.stringify(ref.key)}: ${explainError(err, backend.settings)} Restoring without clearing.`,
    );
  }
}
