// s3cache/save: save only, under the `key` input; always tries (no state from a restore).
import { relaxHeapGrowth, scriptAt } from '@s3cache/core';
import { runnerDeps } from './runner.js';
import { saveImpl } from './save-impl.js';
import { OutputStateProvider } from './state.js';

// The archiving worker thread runs this script, beside the entry in dist/.
const worker = scriptAt(new URL('./worker.mjs', import.meta.url));

// Gigabytes of buffers pass through a small heap: see relaxHeapGrowth.
relaxHeapGrowth();
await saveImpl(new OutputStateProvider(), runnerDeps(process.env, worker ? { worker } : {}));
