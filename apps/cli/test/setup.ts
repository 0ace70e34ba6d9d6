// @actions/glob (inside the engine) writes `::debug::` workflow commands straight to the process's
// stdout; bin.ts drops them for the real CLI. Do the same here so test output stays readable.
const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
  typeof chunk === 'string' && chunk.startsWith('::debug::')
    ? true
    : write(chunk, ...rest)) as typeof process.stdout.write;
