// s3cache/restore: restore only; the keys become the cache-primary-key / cache-matched-key outputs.
import { relaxHeapGrowth } from '@s3cache/core';
import { restoreImpl } from './restore-impl.js';
import { OutputStateProvider } from './state.js';

// Gigabytes of buffers pass through a small heap: see relaxHeapGrowth.
relaxHeapGrowth();
await restoreImpl(new OutputStateProvider());
