import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    name: 'bench',
    // The quick suite moves real bytes through a real S3 on a shared 2-core machine: never timed.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    include: ['src/**/*.test.ts'],
  },
});
