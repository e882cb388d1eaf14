import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the built bin; the build happens in `npm install` (prepare) and `npm test`.
    testTimeout: 20_000,
    globalSetup: ['./test/support/postgres-schemas.ts'],
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
