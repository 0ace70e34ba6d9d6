// The combined action's post step (post-if: success()): save under the key frozen at restore time.
import { scriptAt } from '@s3cache/core';
import { runnerDeps } from './runner.js';
import { saveImpl } from './save-impl.js';
import { RunnerStateProvider } from './state.js';

// The archiving worker's script sits beside this entry in dist/ (see scripts/build.mjs).
const chunkWorker = scriptAt(new URL('./chunk-worker.mjs', import.meta.url));
await saveImpl(new RunnerStateProvider(), runnerDeps(process.env, chunkWorker ? { chunkWorker } : {}));
