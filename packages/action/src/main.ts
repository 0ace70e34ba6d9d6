// The combined action's main step: restore, keeping the keys in state for the post step.
import { restoreImpl } from './restore-impl.js';
import { RunnerStateProvider } from './state.js';

await restoreImpl(new RunnerStateProvider());
