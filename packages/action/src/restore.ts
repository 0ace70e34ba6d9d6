// s3cache/restore: restore only; the keys become the cache-primary-key / cache-matched-key outputs.
import { restoreImpl } from './restore-impl.js';
import { OutputStateProvider } from './state.js';

await restoreImpl(new OutputStateProvider());
