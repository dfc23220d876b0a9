// Command line → one plain config object. Defaults for the full suite and
// for --quick live here, so the whole size of a run can be read in one place.
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
// `npm run bench -- --json out.json` runs in the package root; a path the
// user typed is meant relative to where they typed it (npm keeps it in INIT_CWD).
const userPath = (p) => resolve(process.env.INIT_CWD ?? process.cwd(), p);

export const SCENARIOS = ['small-files', 'large-files', 'random-read', 'random-read-direct', 'append-commit', 'tree-stats', 'stream-pipe', 'stream-files', 'stream-files-cold'];
export const BACKENDS = ['node', 'uv_io_uring', 'io_uring', 'threads', 'fio', 'c'];

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Work per scenario. `opsPerPass` is the fixed unit of work every method repeats. */
const FULL = {
  rounds: 10,
  maxRounds: 20,
  processes: 3,
  repeat: 2,
  warmup: 1,
  minRunMs: 15,
  fioMinMs: 80,
  batches: [1, 4, 16, 64, 256],
  concurrency: 64,
  scenarios: {
    'small-files': { files: 1000, sizes: [4 * KiB] },
    'large-files': { files: 16, sizes: [4 * MiB] },
    'random-read': { fileSize: 1 * GiB, sizes: [4 * KiB], opsPerPass: 4096 },
    'random-read-direct': { fileSize: 1 * GiB, sizes: [4 * KiB], opsPerPass: 512 },
    'append-commit': { sizes: [4 * KiB], opsPerPass: 256 },
    'tree-stats': { files: 100_000, perDir: 100, sizes: [0] },
    'stream-pipe': { files: 1, sizes: [1 * GiB] },
    'stream-files': { files: 256, sizes: [1 * MiB] },
    'stream-files-cold': { files: 256, sizes: [1 * MiB] },
  },
};

const QUICK = {
  rounds: 5,
  maxRounds: 5,
  processes: 1,
  repeat: 2,
  warmup: 1,
  minRunMs: 4,
  fioMinMs: 40,
  batches: [1, 64],
  concurrency: 64,
  scenarios: {
    'small-files': { files: 200, sizes: [4 * KiB] },
    'large-files': { files: 8, sizes: [4 * MiB] },
    'random-read': { fileSize: 64 * MiB, sizes: [4 * KiB], opsPerPass: 2000 },
    'random-read-direct': { fileSize: 64 * MiB, sizes: [4 * KiB], opsPerPass: 500 },
    'append-commit': { sizes: [4 * KiB], opsPerPass: 64 },
    'tree-stats': { files: 2_000, perDir: 100, sizes: [0] },
    'stream-pipe': { files: 1, sizes: [64 * MiB] },
    'stream-files': { files: 32, sizes: [1 * MiB] },
    'stream-files-cold': { files: 32, sizes: [1 * MiB] },
  },
};

export const USAGE = `Usage: npm run bench -- [options]
       npm run bench -- --compare A.json B.json

  --quick               small working sets, 4 KiB small files only, batch sizes 1,64, no O_DIRECT (about a minute)
  --scenario LIST       ${SCENARIOS.join(', ')}
  --method LIST         method ids or prefixes (e.g. fs.readFileSync,uringfs.batch, uringfs); --list shows them
  --backend LIST        ${BACKENDS.join(', ')} (default: every one available)
  --batch LIST          batch sizes for explicit batches and fio depths (default 1,4,16,64,256)
  --concurrency LIST    ops in flight for callback/promise methods, appenders for uringfs/log and lmdb
                        (default 64); a list (1,16,64,256) runs one case per value, the largest is
                        the depth of the summary's comparisons
  --files N             number of files (small-files, large-files, stream-files(-cold); tree-stats: files in the tree, 100 per directory)
  --size LIST           file size (small/large-files, stream-pipe/-files) or I/O size (random-read, append-commit); 4k, 64k, 4m
  --file-size SIZE      size of the random-read file (default 1g, --quick 64m)
  --ops N               ops per pass (random-read, append-commit)
  --rounds N            rounds: each round runs every case of a scenario once, interleaved (default 10, --quick 5)
  --runs N              the same as --rounds
  --processes N         processes per case, one after another, the rounds split among them (10 → 4+3+3),
                        so the intervals see how much processes differ (default 3, --quick 1; at most --rounds)
  --max-rounds N        extra rounds, for the summary's comparisons only, while an interval is wider than
                        --target-ci, split among the processes as well (default 20, --quick: no extra rounds)
  --target-ci PCT       the half-width the summary's intervals should reach (default 10)
  --repeat N            runs per case per round; the round keeps the fastest (default 2)
  --warmup N            warm-up runs per case, in each of its processes (default 1)
  --min-run-ms N        a run repeats the pass until it lasts at least this long (calibrated in warm-up)
  --ring LIST           uringfs ring variants for the io_uring backend, each 'default' or options joined
                        by '+': taskrun=coop|defer|normal, sqpoll[=idleMs], submit=turn|immediate|N,
                        entries=N (e.g. --ring default,taskrun=defer,sqpoll); shown as io_uring[...]
  --direct              include random-read-direct (the full suite does; --quick does not unless asked)
  --data-dir DIR        where working sets are made (default ${join(tmpdir(), 'uringfs-bench')}); its filesystem matters
  --json FILE           write every measurement as JSON
  --csv FILE            write every measurement as CSV
  --chart FILE          write the chart as SVG
  --html FILE           write the interactive HTML report
                        (with none of these four: bench/results/<time>-<commit>.{json,svg,html}, then
                        bench/results/latest.* are replaced by copies of them; with any: only those files)
  --results-dir DIR     where per-run files and latest.* go (default bench/results)
  --no-report           write no files unless asked by --json/--csv/--chart/--html
  --compare A B         compare two JSON results (two machines, commits, kernels): per case B ÷ A
                        with a 95% interval (Welch) and a verdict; runs nothing
  --timeout S           seconds before a case is killed (default 180)
  --list                print scenarios and methods, run nothing
  -h, --help`;

export function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`bad size: ${text} (use e.g. 4096, 4k, 64k, 4m, 1g)`);
  const mult = { '': 1, k: KiB, m: MiB, g: GiB, t: 1024 * GiB }[m[2].toLowerCase()];
  const n = Math.round(Number(m[1]) * mult);
  if (!(n > 0)) throw new Error(`bad size: ${text}`);
  return n;
}

/** One --ring variant → { label, options } (options null for the default ring). */
export function parseRingVariant(text) {
  if (text === 'default') return { label: 'default', options: null };
  const options = {};
  for (const part of text.split('+')) {
    const [key, value] = part.split('=');
    if (key === 'taskrun' && ['coop', 'defer', 'normal'].includes(value)) options.taskrun = value;
    else if (key === 'sqpoll' && value === undefined) options.sqpoll = true;
    else if (key === 'sqpoll' && /^\d+$/.test(value)) options.sqpoll = { idleMs: Number(value) };
    else if (key === 'submit' && (value === 'turn' || value === 'immediate')) options.submit = value;
    else if (key === 'submit' && /^\d+$/.test(value)) options.submit = Number(value);
    else if (key === 'entries' && /^\d+$/.test(value)) options.entries = Number(value);
    else throw new Error(`bad --ring variant ${text}: ${part} (see --help)`);
  }
  return { label: text, options };
}

function parseList(text, parse = (x) => x) {
  return String(text).split(',').map((s) => s.trim()).filter(Boolean).map(parse);
}

function positiveInt(name) {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a positive integer, got ${text}`);
    return n;
  };
}

export function parseConfig(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      scenario: { type: 'string' },
      method: { type: 'string' },
      backend: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      files: { type: 'string' },
      size: { type: 'string' },
      'file-size': { type: 'string' },
      ops: { type: 'string' },
      runs: { type: 'string' },
      rounds: { type: 'string' },
      repeat: { type: 'string' },
      'max-rounds': { type: 'string' },
      processes: { type: 'string' },
      'target-ci': { type: 'string' },
      compare: { type: 'boolean' },
      warmup: { type: 'string' },
      'min-run-ms': { type: 'string' },
      direct: { type: 'boolean' },
      ring: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'string' },
      csv: { type: 'string' },
      chart: { type: 'string' },
      html: { type: 'string' },
      'no-report': { type: 'boolean' },
      'results-dir': { type: 'string' },
      timeout: { type: 'string' },
      list: { type: 'boolean' },
      // For the harness's own tests: methods that fail on purpose.
      'test-methods': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.compare) {
    if (positionals.length !== 2) throw new Error(`--compare wants two JSON files, got ${positionals.length}`);
    return { compare: positionals.map(userPath), help: false, list: false };
  }
  if (positionals.length) throw new Error(`unexpected argument ${positionals[0]} (options start with --)`);
  const base = values.quick ? QUICK : FULL;
  const scenarios = structuredClone(base.scenarios);

  let scenarioIds;
  if (values.scenario) {
    scenarioIds = parseList(values.scenario);
    for (const s of scenarioIds) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
  } else {
    scenarioIds = SCENARIOS.filter((s) => s !== 'random-read-direct' || !values.quick);
  }
  if (values.direct && !scenarioIds.includes('random-read-direct')) scenarioIds.push('random-read-direct');

  for (const id of scenarioIds) {
    const s = scenarios[id];
    if (values.files && 'files' in s && id !== 'stream-pipe') s.files = positiveInt('files')(values.files);
    if (values.size && id !== 'tree-stats') s.sizes = parseList(values.size, parseSize);
    if (values['file-size'] && 'fileSize' in s) s.fileSize = parseSize(values['file-size']);
    if (values.ops && 'opsPerPass' in s) s.opsPerPass = positiveInt('ops')(values.ops);
  }

  let backends = null;
  if (values.backend) {
    backends = parseList(values.backend);
    for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`unknown backend ${b}; known: ${BACKENDS.join(', ')}`);
  }

  const roundsText = values.rounds ?? values.runs;
  const rounds = roundsText ? positiveInt('rounds')(roundsText) : base.rounds;
  const maxRounds = Math.max(rounds, values['max-rounds'] ? positiveInt('max-rounds')(values['max-rounds']) : (roundsText ? rounds : base.maxRounds));
  // Never more processes than rounds: a process with no round would measure nothing. The default
  // gives way (--rounds 2 runs 2 processes); a --processes asked for is an error.
  const processes = values.processes ? positiveInt('processes')(values.processes) : Math.min(base.processes, rounds);
  if (processes > rounds) throw new Error(`--processes ${processes} wants at least as many --rounds, got ${rounds}`);
  const targetCi = values['target-ci'] ? Number(values['target-ci']) / 100 : 0.1;
  if (!(targetCi > 0)) throw new Error(`--target-ci wants a positive percentage, got ${values['target-ci']}`);
  const concurrencies = values.concurrency ? [...new Set(parseList(values.concurrency, positiveInt('concurrency')))] : [base.concurrency];
  if (concurrencies.length === 0) throw new Error('--concurrency wants a positive integer or a list of them');
  const outputs = ['json', 'csv', 'chart', 'html'].some((k) => values[k]);
  const defaultOutputs = !outputs && !values['no-report'];
  return {
    quick: Boolean(values.quick),
    help: Boolean(values.help),
    list: Boolean(values.list),
    testMethods: Boolean(values['test-methods']),
    scenarioIds,
    scenarios,
    methods: values.method ? parseList(values.method) : null,
    backends,
    rings: values.ring ? parseList(values.ring, parseRingVariant) : [{ label: 'default', options: null }],
    batches: values.batch ? parseList(values.batch, positiveInt('batch')) : base.batches,
    // Every value gets its cases; the largest is the one the summary's comparisons use.
    concurrencies,
    concurrency: Math.max(...concurrencies),
    runs: rounds,
    rounds,
    maxRounds,
    processes,
    repeat: values.repeat ? positiveInt('repeat')(values.repeat) : base.repeat,
    targetCi,
    warmup: values.warmup !== undefined ? Math.max(0, Number(values.warmup) | 0) : base.warmup,
    minRunMs: values['min-run-ms'] !== undefined ? Math.max(0, Number(values['min-run-ms'])) : base.minRunMs,
    fioMinMs: base.fioMinMs,
    dataDir: values['data-dir'] ? userPath(values['data-dir']) : join(tmpdir(), 'uringfs-bench'),
    // With no output option, run.js names the files per run (it knows the time and commit).
    defaultOutputs,
    resultsDir: values['results-dir'] ? userPath(values['results-dir']) : RESULTS,
    json: values.json ? userPath(values.json) : null,
    csv: values.csv ? userPath(values.csv) : null,
    chart: values.chart ? userPath(values.chart) : null,
    html: values.html ? userPath(values.html) : null,
    timeoutMs: (values.timeout ? Number(values.timeout) : 180) * 1000,
  };
}
