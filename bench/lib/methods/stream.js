// Read streams (stream-pipe, stream-files). One op = one whole file read through a read stream
// and piped to a sink that only counts the bytes and keeps the file's tags (first and last four
// bytes); a pass streams every file of the set at once, each checked after its pipe ends.
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { latency, SAMPLE } from './common.js';

/** A sink that drops what it is given, keeping the count and the tags for the check. */
function tagSink() {
  const seen = { bytes: 0, first: -1, tail: Buffer.alloc(4) };
  const sink = new Writable({
    write(chunk, _encoding, done) {
      if (seen.bytes === 0 && chunk.length >= 4) seen.first = chunk.readUInt32LE(0);
      // The last four bytes may straddle two chunks.
      if (chunk.length >= 4) chunk.copy(seen.tail, 0, chunk.length - 4);
      else {
        seen.tail.copyWithin(0, chunk.length);
        chunk.copy(seen.tail, 4 - chunk.length);
      }
      seen.bytes += chunk.length;
      done();
    },
  });
  return { sink, seen };
}

function check(seen, i, size) {
  if (seen.bytes !== size) throw new Error(`verification failed: file ${i} streamed ${seen.bytes} bytes, expected ${size}`);
  if (size >= 4 && seen.first !== i) throw new Error(`verification failed: file ${i} has the wrong first tag`);
  if (size >= 8 && seen.tail.readUInt32LE(0) !== i) throw new Error(`verification failed: file ${i} has the wrong last tag`);
}

function streamAll(api) {
  return ({ scenario: { paths, size } }) => ({
    async pass() {
      const a = api();
      await Promise.all(paths.map(async (path, i) => {
        const t0 = i % SAMPLE === 0 ? performance.now() : 0;
        const { sink, seen } = tagSink();
        await pipeline(a.createReadStream(path), sink);
        if (t0) latency.record(performance.now() - t0);
        check(seen, i, size);
      }));
      return { ops: paths.length, bytes: paths.length * size };
    },
  });
}

export default [
  {
    id: 'fs.createReadStream', family: 'node', kinds: ['stream'], depths: ['all'], baselineOf: ['stream'],
    describe: "node:fs read streams (default highWaterMark), every file's piped to a counting sink at once",
    setup: streamAll(() => fs),
  },
  {
    id: 'uringfs.createReadStream', family: 'uringfs', kinds: ['stream'], depths: ['all'],
    describe: "uringfs read streams (default highWaterMark), every file's piped to a counting sink at once",
    setup: (ctx) => streamAll(() => ctx.u)(ctx),
  },
];
