import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the WebAssembly kernels from source before any test file loads them.
    globalSetup: ['test/global-setup.ts'],
    // Points the embeddings cache at a temp folder, so no test touches ~/.cache/ner-train.
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: one fork per core keeps the end-to-end trainings from starving each other.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
