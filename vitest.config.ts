import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/test/**/*.test.ts'],
    // Worker threads load the built JS (dist/), so tests run after `pnpm build`.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: running test files one or two at a time keeps the concurrency
    // tests meaningful (each one wants both CPUs) and bounded.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default', './scripts/plain-summary-reporter.ts'],
  },
});
