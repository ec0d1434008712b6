import { defineConfig } from 'vitest/config';

// Three projects: `unit` (fast, pure), `integration` (compile + train in Node), `e2e`
// (the built app in Chromium through playwright-core; see tests/e2e/global-setup.ts).
// The machine this runs on may have 2 cores: keep the worker count small.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    environment: 'node',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'nodes/**/*.test.ts', 'src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['tests/e2e/global-setup.ts'],
        },
      },
    ],
  },
});
