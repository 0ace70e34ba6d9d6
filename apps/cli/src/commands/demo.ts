import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type CacheContext,
  defaultWorkerScript,
  type Logger,
  type RestoreResult,
  restoreCache,
  type SaveResult,
  saveCache,
} from '@s3cache/core';
import { type Command, Option } from 'commander';
import { applyChanges, planChanges } from '../demo/changes.js';
import { cleanUp } from '../demo/cleanup.js';
import { ContentGenerator } from '../demo/content.js';
import { Random } from '../demo/random.js';
import { formatDeltaSavings, formatPhase, type PhaseResult } from '../demo/report.js';
import { type GeneratedTree, generateTree, scaledTree } from '../demo/tree.js';
import { type VerifyResult, verifyTrees } from '../demo/verify.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { formatBytes, formatPercent } from '../format/bytes.js';
import { formatDuration } from '../format/duration.js';
import type { Reporter } from '../output/reporter.js';
import { commandHelp } from '../program.js';
import { entryVersion } from './cache-options.js';
import type { CommandContext } from './context.js';
import type { Action } from './run.js';

interface DemoFlags {
  keep?: boolean;
  scale: string;
  seed: string;
}

/** The cache path, relative to the workspace, as a workflow would write it. */
const CACHE_PATH = 'ccache';
const SCOPE = 'refs/heads/main';

export function registerDemo(program: Command, action: Action): void {
  program
    .command('demo')
    .summary('save, change, save a delta, restore and verify a realistic tree (no cloud needed)')
    .description(
      'A self-contained tour on the embedded local store (or --store): generates a compiler-cache-like ' +
        'tree (~140 MiB: thousands of small files in 16×16 hash directories, MB-sized files, a symlink, ' +
        'an empty directory), saves it, changes a few percent of it, saves again as a delta, restores into ' +
        'a fresh directory and verifies every byte, mode and symlink target. Prints sizes, rates and the ' +
        "delta's savings. Uses a unique repository and key, and removes its temp dirs and store entries.",
    )
    .addOption(new Option('--keep', 'keep the demo entry in the store (to try ls, stats, rm on it)'))
    .addOption(new Option('--scale <factor>', 'tree size relative to the default ~140 MiB').default('1'))
    .addOption(
      new Option('--seed <n>', 'seed of the generated content (same seed, same tree)').default('1397965635'),
    )
    .addHelpText(
      'after',
      commandHelp(`
$ s3cache demo
$ s3cache demo --keep && s3cache ls
$ s3cache demo --store s3://my-cache-bucket/demo --scale 4
$ s3cache demo --json | jq '.phases'`),
    )
    .action(action<DemoFlags>(runDemo));
}

interface DemoIds {
  repository: string;
  key: string;
}

/** A repository and key no other run uses, so demos never collide or find each other's entries. */
function demoIds(now: Date): DemoIds {
  const id = `${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
  return { repository: `s3cache-demo/run-${id}`, key: `ccache-linux-x64-${id}` };
}

async function runDemo(ctx: CommandContext, flags: DemoFlags): Promise<void> {
  const scale = Number(flags.scale);
  const seed = Number(flags.seed);
  if (!(scale > 0 && scale <= 100))
    throw new UsageError(`--scale must be a number in (0, 100], got ${flags.scale}`);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got ${flags.seed}`);

  const out = ctx.out;
  const began = performance.now();
  const opened = ctx.store();
  const ids = demoIds(ctx.io.now());
  const version = entryVersion([CACHE_PATH], ctx.io.platform, false);
  const cache: CacheContext = {
    store: opened.store,
    layout: opened.layout,
    log: quietLogger(out),
    now: ctx.io.now,
    worker: defaultWorkerScript(),
  };
  const describe =
    opened.choice.source === 'default'
      ? 'the embedded local store'
      : opened.choice.spec.kind === 's3'
        ? 'S3'
        : 'a local directory';
  out.print(`s3cache demo on ${describe}: ${opened.location}`);
  out.print(`repository ${ids.repository}, key ${ids.key}`);
  out.print();

  const temp = await mkdtemp(join(ctx.io.tmpdir, 's3cache-demo-'));
  const phases: PhaseResult[] = [];
  const rng = new Random(seed);
  const content = new ContentGenerator(rng);
  const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const value = await run();
    return [value, (performance.now() - t0) / 1000];
  };
  const save = (workspace: string, label: string, total: number) => {
    const progress = out.progress(label, total);
    return saveCache(cache, {
      repository: ids.repository,
      scope: SCOPE,
      version,
      key: ids.key,
      paths: [CACHE_PATH],
      workspace,
      onProgress: (raw) => progress.update(Math.min(raw, total)),
    }).finally(() => progress.finish());
  };

  let tree: GeneratedTree | undefined;
  let full: SaveResult | undefined;
  let delta: SaveResult | undefined;
  let restored: RestoreResult | undefined;
  let verified: VerifyResult | undefined;
  let cleanup = '';
  try {
    const workspace = join(temp, 'workspace');
    const spec = scaledTree(scale);
    const genProgress = out.progress('generate');
    const [generated, genSeconds] = await timed(() =>
      generateTree(join(workspace, CACHE_PATH), spec, content, rng, (done, total) =>
        genProgress.update(done, total),
      ),
    );
    genProgress.finish();
    tree = generated;
    phases.push({
      name: 'generate',
      summary: `${count(tree.files.length)} files, ${tree.symlinks} symlink, ${tree.emptyDirs} empty dir: ${formatBytes(tree.bytes)}`,
      seconds: genSeconds,
      rateBytes: tree.bytes,
    });
    announce(out, phases);

    const [first, fullSeconds] = await timed(() => save(workspace, 'save', generated.bytes));
    full = first;
    if (full.outcome !== 'saved')
      throw new Error(`the first save did not create the entry (outcome: ${full.outcome})`);
    phases.push({
      name: 'save',
      summary: `full: ${formatBytes(full.rawBytes)} → ${formatBytes(full.uploadedBytes)} stored (${ratio(full.rawBytes, full.uploadedBytes)})`,
      seconds: fullSeconds,
      rateBytes: full.rawBytes,
    });
    announce(out, phases);

    const [changes, changeSeconds] = await timed(() =>
      applyChanges(generated, planChanges(generated.files, rng), content),
    );
    phases.push({
      name: 'change',
      summary: `${changes.modified} modified, ${changes.added} added, ${changes.removed} removed, ${formatBytes(changes.patchedBytes)} patched in a large file`,
      seconds: changeSeconds,
    });
    announce(out, phases);

    const [second, deltaSeconds] = await timed(() => save(workspace, 'save (delta)', generated.bytes));
    delta = second;
    if (delta.outcome !== 'delta' && delta.outcome !== 'rebased') {
      throw new Error(`the second save did not write a new generation (outcome: ${delta.outcome})`);
    }
    phases.push({
      name: 'save',
      summary: `${delta.outcome}: ${formatDeltaSavings(delta.uploadedBytes, delta.entryBytes)}`,
      seconds: deltaSeconds,
      rateBytes: delta.rawBytes,
    });
    announce(out, phases);

    const target = join(temp, 'restored');
    const restoreProgress = out.progress('restore');
    const [restoreResult, restoreSeconds] = await timed(() =>
      restoreCache(cache, {
        repository: ids.repository,
        scopes: [SCOPE],
        version,
        primaryKey: ids.key,
        restoreKeys: [],
        paths: [CACHE_PATH],
        workspace: target,
        onProgress: (downloaded, _raw, total) => restoreProgress.update(downloaded, total),
      }).finally(() => restoreProgress.finish()),
    );
    restored = restoreResult;
    if (!restored.cacheHit) throw new Error('the restore did not find the entry just saved');
    phases.push({
      name: 'restore',
      summary: `${formatBytes(restored.rawBytes)} from ${formatBytes(restored.downloadedBytes)} read (${formatBytes(restored.deltaBytes)} of it from the delta)`,
      seconds: restoreSeconds,
      rateBytes: restored.rawBytes,
    });
    announce(out, phases);

    const [verifyResult, verifySeconds] = await timed(() =>
      verifyTrees(join(workspace, CACHE_PATH), join(target, CACHE_PATH)),
    );
    verified = verifyResult;
    phases.push({
      name: 'verify',
      summary:
        verified.differences.length === 0
          ? `identical: ${count(verified.files)} files, ${verified.directories} dirs, ${verified.symlinks} symlink (bytes, modes, link targets)`
          : `${verified.differences.length} DIFFERENCES`,
      seconds: verifySeconds,
      rateBytes: verified.bytesCompared,
    });
    announce(out, phases);
  } finally {
    cleanup = await cleanUp({
      temp,
      repository: ids.repository,
      keep: flags.keep === true,
      store: opened.store,
      layout: opened.layout,
      storeArgs: opened.choice.source === 'flag' ? `--store ${opened.location}` : '',
      out,
    });
  }

  const ok = verified !== undefined && verified.differences.length === 0;
  const totalSeconds = (performance.now() - began) / 1000;
  out.print();
  if (full && delta) out.print(`delta savings: ${formatDeltaSavings(delta.uploadedBytes, delta.entryBytes)}`);
  if (verified && !ok) {
    for (const d of verified.differences.slice(0, 20)) out.error(`${d.path}: ${d.problem}`);
    if (verified.differences.length > 20)
      out.error(`… and ${verified.differences.length - 20} more differences`);
  }
  out.print(cleanup);
  out.print(
    ok
      ? `demo passed in ${formatDuration(totalSeconds)}: the restored tree is identical to the saved one.`
      : `demo FAILED in ${formatDuration(totalSeconds)}: the restored tree differs from the saved one.`,
  );
  out.emitJson({
    command: 'demo',
    ok,
    store: opened.location,
    repository: ids.repository,
    key: ids.key,
    kept: flags.keep === true,
    tree: tree && {
      files: tree.files.length,
      bytes: tree.bytes,
      symlinks: tree.symlinks,
      emptyDirs: tree.emptyDirs,
    },
    phases,
    saves: { full, delta },
    deltaSavings: delta && delta.entryBytes > 0 ? 1 - delta.uploadedBytes / delta.entryBytes : null,
    restore: restored,
    verify: verified,
    totalSeconds,
  });
  if (!ok) ctx.exitCode = ExitCode.failure;
}

/** Prints a phase as soon as it is done: a minute-long tour should show it is moving. */
function announce(out: Reporter, phases: readonly PhaseResult[]): void {
  const p = phases.at(-1);
  if (p) out.print(formatPhase(p));
}

function quietLogger(out: Reporter): Logger {
  // The engine's notes ("writing a new base") are noise in a guided tour; keep warnings.
  return { info: (m) => out.debug(m), warn: (m) => out.warn(m), debug: (m) => out.debug(m) };
}

function ratio(raw: number, stored: number): string {
  return stored > 0 ? `${(raw / stored).toFixed(2)}× smaller, ${formatPercent(1 - stored / raw)} saved` : '–';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
