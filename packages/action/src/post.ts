// The combined action's post step (post-if: success()): save under the key frozen at restore time.
import { relaxHeapGrowth, scriptAt } from '@s3cache/core';
import { runnerDeps } from './runner.js';
import { saveImpl } from './save-impl.js';
import { RunnerStateProvider } from './state.js';

// The archiving worker thread runs this script, beside the entry in dist/.
const worker = scriptAt(new URL('./worker.mjs', import.meta.url));

// Gigabytes of buffers pass through a small heap: see relaxHeapGrowth.
relaxHeapGrowth();
await saveImpl(new RunnerStateProvider(), runnerDeps(process.env, worker ? { worker } : {}));
