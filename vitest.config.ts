import { defineConfig } from 'vitest/config';

// One runner for the whole repository: every package is a project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
