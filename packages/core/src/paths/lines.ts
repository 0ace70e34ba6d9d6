/**
 * Normalises `path` input lines exactly as actions/cache's `getInputAsArray` does
 * (`s.replace(/^!\s+/, '!').trim()`, empty lines dropped). The cache version hashes these
 * strings, so any divergence here would make our entries invisible to the same workflow.
 */
export function normalizePathLines(lines: readonly string[]): string[] {
  return lines.map((line) => line.replace(/^!\s+/, '!').trim()).filter((line) => line !== '');
}
