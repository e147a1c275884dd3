import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // The dashboard tests serve dist/ui: build it from src/ui once per run.
    globalSetup: ['test/support/build-dashboard.ts'],
  },
});
