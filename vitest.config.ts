import { defineConfig } from 'vitest/config';

// Every test file runs once per backend: the tests use the default ring (or
// `new Ring()` with no backend), which follows URINGFS_BACKEND, and child
// processes they start inherit it. `npm run test:seccomp` instead runs the
// suite once under test/seccomp/launcher (io_uring blocked) with 'auto', so
// that everything goes through the fallback.
const underSeccomp = process.env.URINGFS_TEST_SECCOMP === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and vitest's worker threads do not mix (vitest#5047).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: underSeccomp
      ? [{ extends: true, test: { name: 'seccomp-auto', env: { URINGFS_BACKEND: 'auto' } } }]
      : [
          { extends: true, test: { name: 'io_uring', env: { URINGFS_BACKEND: 'io_uring' } } },
          { extends: true, test: { name: 'threads', env: { URINGFS_BACKEND: 'threads' } } },
        ],
  },
});
