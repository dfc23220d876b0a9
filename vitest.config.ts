import { defineConfig } from 'vitest/config';

// Every test file runs once per backend: the tests use the default ring (or
// `new Ring()` with no backend), which follows URINGFS_BACKEND, and child
// processes they start inherit it. `npm run test:seccomp` instead runs the
// suite once under test/seccomp/launcher (io_uring blocked) with 'auto', so
// that everything goes through the fallback.
//
// Files that test no backend (the package, its docs, the prebuild, the bench
// harness, which runs every backend itself) run once, in the 'package' project.
//
// Node's own fs tests (test/node-fs-suite.test.ts, the 'node-fs' project) run
// every backend themselves, hundreds of Node processes: `npm test` runs them on
// their own after the rest (`--project node-fs`), so that they neither slow
// the timing-sensitive tests nor are slowed by them.
const backendIndependent = [
  'test/api-docs.test.ts',
  'test/bench-harness.test.ts',
  'test/bench-stats.test.ts',
  'test/dropin-names.test.ts',
  'test/log-crc32c.test.ts',
  'test/package-consumer.test.ts',
  'test/setup.test.ts',
];
const include = ['test/**/*.test.ts'];
const nodeFsSuite = 'test/node-fs-suite.test.ts';
const exclude = ['**/node_modules/**', ...backendIndependent, nodeFsSuite];
const underSeccomp = process.env.URINGFS_TEST_SECCOMP === '1';

export default defineConfig({
  test: {
    // Native addons and vitest's worker threads do not mix (vitest#5047).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: underSeccomp
      ? [{ extends: true, test: { name: 'seccomp-auto', include, exclude, env: { URINGFS_BACKEND: 'auto' } } }]
      : [
          { extends: true, test: { name: 'io_uring', include, exclude, env: { URINGFS_BACKEND: 'io_uring' } } },
          { extends: true, test: { name: 'threads', include, exclude, env: { URINGFS_BACKEND: 'threads' } } },
          { extends: true, test: { name: 'package', include: backendIndependent } },
          { extends: true, test: { name: 'node-fs', include: [nodeFsSuite] } },
        ],
  },
});
