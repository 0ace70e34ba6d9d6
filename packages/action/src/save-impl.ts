import * as core from '@actions/core';
import { entryVersion, type SaveResult, ValidationError } from '@s3cache/core';
import { Inputs, State } from './constants.js';
import { isSupported, readRunContext, type SupportedRun, unsupportedReason } from './context.js';
import { explainError } from './explain.js';
import { formatBytes, formatCount, formatList, formatRate, formatSeconds } from './format.js';
import { checkKeys, readS3Settings, readSaveInputs, type S3Settings, type SaveInputs } from './inputs.js';
import { saveDecision } from './policy.js';
import { ProgressLog } from './progress.js';
import { type ActionDeps, reportTopLevel, runnerDeps, withBackend } from './runner.js';
import type { StateProvider } from './state.js';
import { type CacheReport, writeSummary } from './summary.js';

/**
 * The save half shared by the combined action's post step (primary key frozen in state at
 * restore time) and `save` (key from its input). Validation errors fail the step; any other
 * failure is a warning.
 */
export async function saveImpl(state: StateProvider, deps: ActionDeps = runnerDeps()): Promise<void> {
  try {
    const run = readRunContext(deps.env);
    if (!isSupported(run)) {
      core.warning(unsupportedReason(run) ?? 'unsupported run');
      return;
    }
    const inputs = readSaveInputs(deps.input, (m) => core.warning(m));
    const primaryKey = state.getState(State.CachePrimaryKey) || inputs.key;
    if (!primaryKey) {
      throw new ValidationError(
        `Input required and not supplied: ${Inputs.Key}. Set \`${Inputs.Key}:\` under \`with:\` in the workflow step.`,
      );
    }
    checkKeys(primaryKey, []);
    const settings = readS3Settings(deps.input, deps.env);
    const decision = saveDecision({
      primaryKey,
      restoredKey: state.getState(State.CacheMatchedKey),
      useDeltas: inputs.useDeltas,
      lookupOnly: inputs.lookupOnly,
    });
    if (!decision.save) {
      core.info(decision.reason);
      await writeSummary({ step: 'save', key: primaryKey, result: 'skipped', note: 'exact hit' });
      return;
    }
    if (decision.note) core.info(decision.note);
    await saveWithReport(deps, run, inputs, primaryKey, settings);
  } catch (err) {
    reportTopLevel(err);
  }
}

async function saveWithReport(
  deps: ActionDeps,
  run: SupportedRun,
  inputs: SaveInputs,
  key: string,
  settings: S3Settings,
): Promise<void> {
  const version = entryVersion(inputs.paths, { enableCrossOsArchive: inputs.enableCrossOsArchive });
  core.info(`Saving cache key: ${JSON.stringify(key)}`);
  core.info(
    `  repository ${run.repository}, scope ${run.ref}, version ${version.slice(0, 12)} (paths ${formatList(inputs.paths)})`,
  );
  const report: CacheReport = { step: 'save', key, result: 'error' };
  let result: SaveResult;
  try {
    result = await withBackend(deps, settings, async (backend, connectSeconds) => {
      core.info(`Cache store: ${backend.describe()}`);
      const progress = new ProgressLog('Uploaded', (m) => core.info(m));
      const saved = await backend.save({
        repository: run.repository,
        scope: run.ref,
        version,
        key,
        paths: inputs.paths,
        workspace: run.workspace,
        useDeltas: inputs.useDeltas,
        ...(inputs.uploadChunkSize !== undefined ? { partSize: inputs.uploadChunkSize } : {}),
        onProgress: (_raw, uploaded) => progress.update(uploaded),
      });
      core.info(
        `Time: connect ${formatSeconds(connectSeconds)}, archive + upload ${formatSeconds(saved.seconds)}`,
      );
      return saved;
    });
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const message = explainError(err, settings);
    core.warning(`Cache not saved: ${message}`);
    report.note = message;
    await writeSummary(report);
    return;
  }
  logSaved(result);
  report.result = result.outcome;
  report.bytes = result.uploadedBytes;
  report.seconds = result.seconds;
  if (result.outcome === 'delta' || result.outcome === 'unchanged') {
    report.savedByDeltas = Math.max(0, result.entryBytes - result.uploadedBytes);
  }
  if (result.outcome === 'exists') report.note = 'first write wins';
  await writeSummary(report);
}

function logSaved(r: SaveResult): void {
  const sizes =
    `${formatBytes(r.rawBytes)} in ${formatCount(r.items)} items -> ${formatBytes(r.uploadedBytes)} uploaded ` +
    `in ${formatSeconds(r.seconds)} (${formatRate(r.uploadedBytes, r.seconds)} compressed, ${formatRate(r.rawBytes, r.seconds)} read)`;
  switch (r.outcome) {
    case 'saved':
      core.info(`Cache saved with key: ${r.key}`);
      core.info(`  size: ${sizes}`);
      return;
    case 'rebased':
      core.info(`Cache saved with key: ${r.key} (a new base generation of the existing entry)`);
      core.info(`  size: ${sizes}`);
      return;
    case 'delta':
      core.info(`Cache saved with key: ${r.key} (a delta: only what changed)`);
      core.info(`  size: ${sizes}`);
      core.info(
        `  ${formatCount(r.reusedChunks)} of ${formatCount(r.totalChunks)} chunks reused; deltas saved ` +
          `${formatBytes(Math.max(0, r.entryBytes - r.uploadedBytes))} of ${formatBytes(r.entryBytes)}`,
      );
      return;
    case 'unchanged':
      core.info(
        `Cache entry ${r.key} is unchanged: nothing uploaded (${formatBytes(r.rawBytes)} checked in ${formatSeconds(r.seconds)}).`,
      );
      return;
    case 'exists':
      core.info(
        `Cache not saved: an entry with key ${r.key} already exists (another job may be creating this cache); first write wins.`,
      );
      return;
    case 'empty':
      core.warning(
        'Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved. ' +
          'Check `path` against what the job produced.',
      );
      return;
  }
}
