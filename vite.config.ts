import { defineConfig } from 'vitest/config';

// One config for the build (issue B adds the client library build) and for Vitest.
// Server tests run in Node; client tests opt into happy-dom per file or by folder below.
export default defineConfig({
  test: {
    include: ['client/**/*.test.ts', 'server/**/*.test.ts', 'demo/**/*.test.ts', 'e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
