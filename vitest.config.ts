import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and vitest's worker threads do not mix (vitest#5047).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
