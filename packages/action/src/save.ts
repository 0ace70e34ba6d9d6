// s3cache/save: save only, under the `key` input; always tries (no state from a restore).
import { saveImpl } from './save-impl.js';
import { OutputStateProvider } from './state.js';

await saveImpl(new OutputStateProvider());
