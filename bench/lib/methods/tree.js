// Tree listings with stats (tree-stats). One op = one entry (file or directory) of the tree, found
// and lstat'ed; a pass walks the whole tree once. Each pass is checked: the number of entries, of
// files, and the sum of the files' sizes (each file's size is its index mod 61) must be the tree's.
// Latency of the async walks: a walk's time, given to every entry it found (an entry is done when
// its walk is), as for readFiles; fdir+lstat times its lstat calls one in 8, as other N-in-flight rows.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import { lanesCallback, latency } from './common.js';

/** Throws unless a pass saw the whole tree: `files` regular files whose sizes sum to `bytes`, and `dirs` directories. */
function check(s, seen) {
  if (seen.files !== s.files || seen.dirs !== s.dirs || seen.bytes !== s.fileBytes) {
    throw new Error(`verification failed: a pass saw ${seen.files} files, ${seen.dirs} directories, ${seen.bytes} bytes; the tree has ${s.files}, ${s.dirs}, ${s.fileBytes}`);
  }
  return { ops: s.files + s.dirs, bytes: 0 };
}

function count(seen, st) {
  if (st.isDirectory()) seen.dirs++;
  else if (st.isFile()) {
    seen.files++;
    seen.bytes += st.size;
  }
}

const fresh = () => ({ files: 0, dirs: 0, bytes: 0 });

/** An async pass whose whole time is recorded as the latency of each of its ops. */
function walkTimed(pass) {
  return async () => {
    const t0 = performance.now();
    const r = await pass();
    latency.record(performance.now() - t0, r.ops);
    return r;
  };
}

// --- node:fs ---------------------------------------------------------------

function readdirLstatSync(api) {
  return ({ scenario: s }) => ({
    pass() {
      const a = api();
      const seen = fresh();
      const stack = [s.root];
      while (stack.length) {
        const dir = stack.pop();
        for (const name of a.readdirSync(dir)) {
          const path = join(dir, name);
          const st = a.lstatSync(path);
          count(seen, st);
          if (st.isDirectory()) stack.push(path);
        }
      }
      return check(s, seen);
    },
  });
}

function readdirLstatPromises(api) {
  return ({ scenario: s, depth }) => ({
    pass: walkTimed(async () => {
      const a = api();
      const seen = fresh();
      // Directories level by level; within a level, `depth` lstat calls in flight.
      let level = [s.root];
      while (level.length) {
        const lists = await Promise.all(level.map((dir) => a.readdir(dir).then((names) => names.map((n) => join(dir, n)))));
        const paths = lists.flat();
        const next = [];
        let i = 0;
        const worker = async () => {
          while (i < paths.length) {
            const path = paths[i++];
            const st = await a.lstat(path);
            count(seen, st);
            if (st.isDirectory()) next.push(path);
          }
        };
        await Promise.all(Array.from({ length: Math.min(depth, paths.length) }, worker));
        level = next;
      }
      return check(s, seen);
    }),
  });
}

// --- walkers from npm --------------------------------------------------------

async function fdirLstat({ scenario: s, depth }) {
  const { fdir } = await import('fdir');
  return {
    async pass() {
      const paths = await new fdir().withFullPaths().withDirs().crawl(s.root).withPromise();
      const seen = fresh();
      // fdir lists the root too (withDirs): count what is below it.
      await lanesCallback(paths.length, depth, (i, _lane, done) => {
        fs.lstat(paths[i], (err, st) => {
          if (err) return done(err);
          if (!(st.isDirectory() && paths[i].replace(/\/$/, '') === s.root)) count(seen, st);
          done();
        });
      });
      return check(s, seen);
    },
  };
}

async function fdirOnly({ scenario: s }) {
  const { fdir } = await import('fdir');
  return {
    pass: walkTimed(async () => {
      const paths = await new fdir().withDirs().crawl(s.root).withPromise();
      // Without stats only the count is checked (the root is listed too).
      if (paths.length !== s.files + s.dirs + 1) throw new Error(`verification failed: fdir listed ${paths.length} paths, expected ${s.files + s.dirs + 1}`);
      return { ops: s.files + s.dirs, bytes: 0 };
    }),
  };
}

async function fastGlob({ scenario: s }, sync) {
  const fg = (await import('fast-glob')).default;
  const options = { cwd: s.root, stats: true, onlyFiles: false, dot: true, followSymbolicLinks: false };
  const tally = (entries) => {
    const seen = fresh();
    for (const e of entries) count(seen, e.stats);
    return check(s, seen);
  };
  return sync ? { pass: () => tally(fg.globSync('**', options)) } : { pass: walkTimed(async () => tally(await fg('**', options))) };
}

// --- uringfs ---------------------------------------------------------------

const S_IFMT = fs.constants.S_IFMT, S_IFDIR = fs.constants.S_IFDIR, S_IFREG = fs.constants.S_IFREG;

function tallyBatch(seen, b) {
  for (let i = 0; i < b.length; i++) {
    const type = b.mode(i) & S_IFMT;
    if (type === S_IFDIR) seen.dirs++;
    else if (type === S_IFREG) {
      seen.files++;
      seen.bytes += b.size(i);
    }
  }
}

function scanAsync({ scenario: s, u }) {
  return {
    pass: walkTimed(async () => {
      const seen = fresh();
      for await (const b of u.scan(s.root, { stats: true })) tallyBatch(seen, b);
      return check(s, seen);
    }),
  };
}

function scanSync({ scenario: s, u }) {
  return {
    pass() {
      const seen = fresh();
      for (const b of u.scanSync(s.root, { stats: true })) tallyBatch(seen, b);
      return check(s, seen);
    },
  };
}

/** scan, with an fs.Stats-shaped object made for every entry (what fast-glob's `stats: true` hands out). */
function scanStatsObjects({ scenario: s, u }) {
  return {
    pass: walkTimed(async () => {
      const seen = fresh();
      for await (const b of u.scan(s.root, { stats: true })) {
        for (let i = 0; i < b.length; i++) count(seen, b.stats(i));
      }
      return check(s, seen);
    }),
  };
}

function scanNoStats({ scenario: s, u }) {
  return {
    pass: walkTimed(async () => {
      let files = 0, dirs = 0;
      for await (const b of u.scan(s.root)) {
        for (let i = 0; i < b.length; i++) {
          if (b.types[i] === 1) files++;
          else if (b.types[i] === 2) dirs++;
        }
      }
      if (files !== s.files || dirs !== s.dirs) throw new Error(`verification failed: scan saw ${files} files, ${dirs} directories`);
      return { ops: s.files + s.dirs, bytes: 0 };
    }),
  };
}

export default [
  {
    id: 'fs.readdirSync+lstatSync', family: 'node', kinds: ['tree'], depths: ['one'],
    describe: 'depth-first walk: fs.readdirSync(dir), fs.lstatSync(each entry)',
    setup: readdirLstatSync(() => fs),
  },
  {
    id: 'fs.promises.readdir+lstat', family: 'node', kinds: ['tree'], depths: ['concurrency'],
    describe: 'level by level: fs.promises.readdir of every directory, then fs.promises.lstat of each entry, N in flight',
    setup: readdirLstatPromises(() => fsp),
  },
  {
    id: 'fdir+lstat', family: 'node', kinds: ['tree'], depths: ['concurrency'],
    describe: 'fdir (withFullPaths, withDirs, withPromise) lists the tree, then fs.lstat of each path, N in flight (fdir has no stats)',
    setup: fdirLstat,
  },
  {
    id: 'fdir', family: 'node', kinds: ['tree'], depths: ['one'],
    describe: 'fdir alone (withDirs, withPromise): paths only, no stats — the listing without stats',
    setup: fdirOnly,
  },
  {
    id: 'fast-glob', family: 'node', kinds: ['tree'], depths: ['one'],
    describe: "fast-glob('**', { stats: true, onlyFiles: false, dot: true }) — an fs.Stats per entry",
    setup: (ctx) => fastGlob(ctx, false),
  },
  {
    id: 'fast-glob.globSync', family: 'node', kinds: ['tree'], depths: ['one'],
    describe: 'fast-glob.globSync with the same options',
    setup: (ctx) => fastGlob(ctx, true),
  },
  {
    id: 'uringfs.scan', family: 'uringfs', kinds: ['tree'], depths: ['one'],
    describe: "for await (batch of scan(root, { stats: true })): sizes and modes read from each batch's statx",
    setup: scanAsync,
  },
  {
    id: 'uringfs.scan+Stats', family: 'uringfs', kinds: ['tree'], depths: ['one'],
    describe: 'the same scan, with batch.stats(i) making an fs.Stats-shaped object per entry',
    setup: scanStatsObjects,
  },
  {
    id: 'uringfs.scan.nostats', family: 'uringfs', kinds: ['tree'], depths: ['one'],
    describe: 'scan(root) without stats: names and types only (compare with fdir)',
    setup: scanNoStats,
  },
  {
    id: 'uringfs.scanSync', family: 'uringfs', kinds: ['tree'], depths: ['one'],
    describe: 'scanSync(root, { stats: true }): getdents64 and direct statx on this thread',
    setup: scanSync,
  },
  {
    id: 'uringfs.readdirSync+lstatSync', family: 'uringfs', kinds: ['tree'], depths: ['one'],
    describe: "the fs.readdirSync+lstatSync walk with uringfs's functions",
    setup: (ctx) => readdirLstatSync(() => ctx.u)(ctx),
  },
  {
    id: 'uringfs.promises.readdir+lstat', family: 'uringfs', kinds: ['tree'], depths: ['concurrency'],
    describe: "the fs.promises.readdir+lstat walk with uringfs/promises' functions",
    setup: (ctx) => readdirLstatPromises(() => ctx.up)(ctx),
  },
];
