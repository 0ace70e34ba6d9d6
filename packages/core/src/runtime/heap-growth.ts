import { setFlagsFromString } from 'node:v8';

/**
 * Heap growing factor, as V8's --heap-growing-percent: after a full collection the old
 * generation may grow to this many percent above what survived before the next one starts.
 */
const HEAP_GROWING_PERCENT = 400;

let relaxed = false;

/**
 * Lets this process's V8 heaps (the main thread's and the archiving worker's) grow to five times
 * what survived the last full garbage collection before starting the next one.
 *
 * A save or restore keeps a small heap (about 25 MB) while gigabytes of buffers pass through it,
 * and V8 sizes its next collection on the heap that survived: left alone it ran a full
 * mark-compact every 50 ms of a 1 GiB restore, 65 of them costing 2.5 CPU-seconds of marking
 * threads. With this setting a 1 GiB save took about 1.5 CPU-seconds less, and a restore 0.7
 * (same-machine A/B, README "Benchmarks"); the heap stays small, so the peak RSS barely moves.
 *
 * For the short-lived processes of the action and the CLI only: it changes a process-wide V8
 * setting, so a library embedding the engine should decide for itself. Idempotent.
 */
export function relaxHeapGrowth(): void {
  if (relaxed) return;
  relaxed = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
