import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the built bin; the build happens in `npm install` (prepare) and `npm test`.
    // A hang guard, not a budget (test/support/hang-guard.ts): tests wait for events and conditions,
    // and a busy machine only makes them slower, never red.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    globalSetup: ['./test/support/postgres-schemas.ts'],
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
