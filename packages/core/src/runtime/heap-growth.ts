import { setFlagsFromString } from 'node:v8';

/**
 * Heap growing factor, as V8's --heap-growing-percent: after a full collection the old
 * generation may grow to this many percent above what survived before the next one starts.
 */
const HEAP_GROWING_PERCENT = 200;

/**
 * V8 versions whose --external-memory-accounted-in-global-limit is known to exist (13.6 is
 * Node 24's). Setting a flag V8 does not know prints an error on stderr, into a user's job log.
 */
const EXTERNAL_IN_GLOBAL_SINCE: readonly [number, number] = [13, 6];

let relaxed = false;

/**
 * Lets this process's V8 heaps (the main thread's and the archiving worker's) grow to three times
 * what survived the last full garbage collection before starting the next one, and counts the
 * memory of ArrayBuffers within that limit instead of against a separate one.
 *
 * A save or restore keeps a small heap (about 25 MB) while gigabytes of buffers pass through it,
 * and V8 sizes its next collection on the heap that survived: left alone it ran a full
 * mark-compact every 50 ms of a 1 GiB restore, 65 of them costing 2.5 CPU-seconds of marking
 * threads. The growing factor took a 1 GiB save about 1.5 CPU-seconds less, and a restore 0.7.
 * The rest of a restore's collections (28 per GiB) came from V8 starting one for every 64 MB of
 * new ArrayBuffer memory, which Node's HTTP client allocates for every byte received; counted in
 * the global limit, a 1 GiB restore runs 5, for 0.1-0.5 CPU-seconds less, and a peak RSS of about
 * 450 MiB instead of 290 (same-machine A/B, README "Benchmarks").
 *
 * For the short-lived processes of the action and the CLI only: it changes process-wide V8
 * settings, so a library embedding the engine should decide for itself. Idempotent.
 */
export function relaxHeapGrowth(): void {
  if (relaxed) return;
  relaxed = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (v8AtLeast(process.versions.v8, EXTERNAL_IN_GLOBAL_SINCE)) {
    setFlagsFromString('--external-memory-accounted-in-global-limit');
  }
}

/** Whether a V8 version string ("13.6.233.17-node.28") is at least `major.minor`. */
export function v8AtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [a = 0, b = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}
