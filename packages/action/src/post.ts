// The combined action's post step (post-if: success()): save under the key frozen at restore time.
import { saveImpl } from './save-impl.js';
import { RunnerStateProvider } from './state.js';

await saveImpl(new RunnerStateProvider());
