// The floor: the same work in C with liburing (bench/floor/floor.c), one call per pass from the
// child, so each ratio stands beside what the kernel interface gives with nothing between JS and
// the kernel but that call. It checks the tags of what it reads as the JS methods do.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { floorAddon } from '../../floor/build.mjs';
import { laneBuffers } from './random.js';
import { Skip } from './common.js';

function loadFloor() {
  try {
    return createRequire(import.meta.url)(floorAddon);
  } catch (err) {
    throw new Skip(`the C floor is not built (bench/floor: ${err.message.split('\n')[0]})`);
  }
}

export default [
  {
    id: 'floor.c', family: 'floor', kinds: ['random'], depths: ['batch'], depthsQuick: ['concurrency'],
    describe: 'the same reads in C with liburing: D at a time into lanes made as the JS methods make theirs, one submit and wait per D (reference)',
    setup: ({ scenario: s, depth }) => {
      const floor = loadFloor();
      const fd = fs.openSync(s.path, fs.constants.O_RDONLY | (s.direct ? fs.constants.O_DIRECT : 0));
      const lanes = laneBuffers(fd, depth, s);
      const passes = new Map();
      return {
        pass(p) {
          const offsets = s.offsetsFor(p);
          let f64 = passes.get(offsets);
          if (f64 === undefined) passes.set(offsets, (f64 = Float64Array.from(offsets)));
          const bytes = floor.randomReads(fd, s.size, f64, lanes);
          return { ops: offsets.length, bytes };
        },
        close() {
          fs.closeSync(fd);
        },
      };
    },
  },
  {
    id: 'floor.c', family: 'floor', kinds: ['files'], depths: ['batch'], depthsQuick: ['concurrency'],
    describe: 'the same whole-file reads in C with liburing: D opens in one submit, then D reads each hard-linked to its close (reference)',
    setup: ({ scenario: s, depth }) => {
      if (s.size > 1 << 20) throw new Skip('the C floor reads files of up to 1 MiB');
      const floor = loadFloor();
      const paths = Buffer.from(s.paths.map((p) => `${p}\0`).join(''));
      const room = Buffer.allocUnsafe(Math.min(depth, s.paths.length) * (s.size + 4096));
      const lanes = Math.min(depth, s.paths.length);
      return {
        pass() {
          const bytes = floor.readFiles(paths, s.paths.length, s.size, room, lanes);
          return { ops: s.paths.length, bytes };
        },
      };
    },
  },
];
