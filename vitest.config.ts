import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and vitest's worker threads do not mix (vitest#5047).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every test file runs twice, once per backend: the tests use the default
    // ring (or `new Ring()` with no backend), which follows URINGFS_BACKEND,
    // and child processes they start inherit it.
    projects: [
      { extends: true, test: { name: 'io_uring', env: { URINGFS_BACKEND: 'io_uring' } } },
      { extends: true, test: { name: 'threads', env: { URINGFS_BACKEND: 'threads' } } },
    ],
  },
});
