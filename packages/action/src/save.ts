// s3cache/save: save only, under the `key` input; always tries (no state from a restore).
import { scriptAt } from '@s3cache/core';
import { runnerDeps } from './runner.js';
import { saveImpl } from './save-impl.js';
import { OutputStateProvider } from './state.js';

// The archiving worker thread runs this script, beside the entry in dist/.
const worker = scriptAt(new URL('./worker.mjs', import.meta.url));
await saveImpl(new OutputStateProvider(), runnerDeps(process.env, worker ? { worker } : {}));
