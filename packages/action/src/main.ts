// The combined action's main step: restore, keeping the keys in state for the post step.
import { relaxHeapGrowth } from '@s3cache/core';
import { restoreImpl } from './restore-impl.js';
import { RunnerStateProvider } from './state.js';

// Gigabytes of buffers pass through a small heap: see relaxHeapGrowth.
relaxHeapGrowth();
await restoreImpl(new RunnerStateProvider());
