// Methods that fail on purpose, listed only with --test-methods: the harness's
// tests use them to prove a failing method is reported, never hidden.
export default [
  {
    id: 'test.throws', family: 'test', kinds: ['files', 'random', 'append', 'tree', 'stream'], depths: ['one'],
    describe: 'throws during its pass',
    setup: () => ({
      pass() {
        throw new Error('deliberate failure from test.throws');
      },
    }),
  },
  {
    id: 'test.short', family: 'test', kinds: ['files', 'random', 'append', 'tree', 'stream'], depths: ['one'],
    describe: 'claims one op fewer than the pass has (the harness must notice)',
    setup: ({ scenario: s }) => ({
      pass() {
        return { ops: s.opsPerPass - 1, bytes: (s.opsPerPass - 1) * s.size };
      },
    }),
  },
  {
    id: 'test.crash', family: 'test', kinds: ['files', 'random', 'append', 'tree', 'stream'], depths: ['one'],
    describe: 'exits the child process in the middle of a run',
    setup: () => ({
      pass() {
        process.exit(70);
      },
    }),
  },
];
