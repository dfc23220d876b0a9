// Files over 2 GiB (sparse, on the disk under os.tmpdir(), not /dev/shm):
// writes and reads at positions past 2^31 and 2^32, as numbers and bigints,
// compared with node:fs in every flavour; and readFile's refusal of a file
// larger than it can hold.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox, callCallback, callPromise, callSync, expectSame, flavours, type Impl, type Outcome } from './helpers-differential.js';

const sb = new Sandbox('large');
afterAll(() => sb.cleanup());

const SIZE = 3 * 2 ** 30 + 16;
const setup = (dir: string): void => {
  const fd = nodeFs.openSync(join(dir, 'big'), 'w');
  nodeFs.ftruncateSync(fd, SIZE);
  nodeFs.closeSync(fd);
};

/** What a neutral reader sees at a few places afterwards (the file is too big to compare whole). */
function probe(path: string): Record<string, string | number> {
  const fd = nodeFs.openSync(path, 'r');
  try {
    const out: Record<string, string | number> = { size: nodeFs.fstatSync(fd).size };
    for (const at of [2 ** 31 - 4, 2 ** 31 + 5, 2 ** 32 - 2, 2 ** 32 + 1, SIZE - 8]) {
      const b = Buffer.alloc(12);
      const n = nodeFs.readSync(fd, b, 0, 12, at);
      out[at] = b.subarray(0, n).toString('hex');
    }
    return out;
  } finally {
    nodeFs.closeSync(fd);
  }
}

async function sequence(flavour: (typeof flavours)[number], impl: Impl, path: string): Promise<Outcome> {
  const out: Outcome = {};
  const hello = Buffer.from('HELLO');
  const world = Buffer.from('WORLD');
  if (flavour === 'promise') {
    const fh = await impl.fsp.open(path, 'r+');
    try {
      out.writeAt2p31 = await callPromise(() => fh.write(hello, 0, 5, 2 ** 31 + 5));
      out.writeStringAt2p32 = await callPromise(() => fh.write('wide', 2 ** 32 - 2));
      out.writevAt2p32 = await callPromise(() => fh.writev([world, hello], 2 ** 32 + 1));
      out.readAt2p31 = await callPromise(() => fh.read(Buffer.alloc(12), 0, 12, 2 ** 31 + 3));
      out.readPastEOF = await callPromise(() => fh.read(Buffer.alloc(32), 0, 32, SIZE - 8));
      out.readvAt2p32 = await callPromise(() => fh.readv([Buffer.alloc(4), Buffer.alloc(8)], 2 ** 32 - 2));
      out.readAtEOF = await callPromise(() => fh.read(Buffer.alloc(4), 0, 4, SIZE));
      out.stat = await callPromise(async () => (await fh.stat()).size);
      out.statBig = await callPromise(async () => (await fh.stat({ bigint: true })).size);
      out.readFileTooLarge = await callPromise(() => fh.readFile());
    } finally {
      await fh.close();
    }
    out.readFileByPath = await callPromise(() => impl.fsp.readFile(path));
    return out;
  }
  const fd = nodeFs.openSync(path, 'r+');
  try {
    if (flavour === 'sync') {
      const fs = impl.fs;
      out.writeAt2p31 = callSync(() => fs.writeSync(fd, hello, 0, 5, 2 ** 31 + 5));
      out.writeStringAt2p32 = callSync(() => fs.writeSync(fd, 'wide', 2 ** 32 - 2));
      out.writevAt2p32 = callSync(() => fs.writevSync(fd, [world, hello], 2 ** 32 + 1));
      const b = Buffer.alloc(12);
      out.readAt2p31 = callSync(() => [fs.readSync(fd, b, 0, 12, 2 ** 31 + 3), b]);
      const big = Buffer.alloc(12);
      out.readBigint = callSync(() => [fs.readSync(fd, big, 0, 12, 2n ** 32n - 2n), big]);
      const past = Buffer.alloc(32);
      out.readPastEOF = callSync(() => [fs.readSync(fd, past, 0, 32, BigInt(SIZE - 8)), past]);
      const v = [Buffer.alloc(4), Buffer.alloc(8)];
      out.readvAt2p32 = callSync(() => [fs.readvSync(fd, v, 2 ** 32 - 2), v]);
      out.readAtEOF = callSync(() => fs.readSync(fd, Buffer.alloc(4), 0, 4, SIZE));
      out.stat = callSync(() => fs.fstatSync(fd).size);
      out.statBig = callSync(() => fs.fstatSync(fd, { bigint: true }).size);
      out.readFileTooLarge = callSync(() => fs.readFileSync(fd));
      out.readFileByPath = callSync(() => fs.readFileSync(path));
      out.readFileUtf8 = callSync(() => fs.readFileSync(path, 'latin1'));
      return out;
    }
    const fs = impl.fs;
    out.writeAt2p31 = await callCallback((cb) => fs.write(fd, hello, 0, 5, 2 ** 31 + 5, cb));
    out.writeStringAt2p32 = await callCallback((cb) => fs.write(fd, 'wide', 2 ** 32 - 2, cb));
    out.writevAt2p32 = await callCallback((cb) => fs.writev(fd, [world, hello], 2 ** 32 + 1, cb));
    out.readAt2p31 = await callCallback((cb) => fs.read(fd, Buffer.alloc(12), 0, 12, 2 ** 31 + 3, cb));
    out.readBigint = await callCallback((cb) => fs.read(fd, Buffer.alloc(12), 0, 12, 2n ** 32n - 2n, cb));
    out.readPastEOF = await callCallback((cb) => fs.read(fd, { buffer: Buffer.alloc(32), position: BigInt(SIZE - 8) }, cb));
    out.readvAt2p32 = await callCallback((cb) => fs.readv(fd, [Buffer.alloc(4), Buffer.alloc(8)], 2 ** 32 - 2, cb));
    out.readAtEOF = await callCallback((cb) => fs.read(fd, Buffer.alloc(4), 0, 4, SIZE, cb));
    out.stat = await callCallback((cb) => fs.fstat(fd, (err: Error | null, st?: { size: number }) => cb(err, st?.size)));
    out.statBig = await callCallback((cb) => fs.fstat(fd, { bigint: true }, (err: Error | null, st?: { size: bigint }) => cb(err, st?.size)));
    // node:fs 20 loses this error for an fd the caller owns and calls back
    // with "TypeError: Cannot read properties of null"; uringfs gives the
    // ERR_FS_FILE_TOO_LARGE every other form gives (docs/differences.md).
    const tooLarge = await callCallback((cb) => fs.readFile(fd, cb));
    if (impl.name === 'uringfs') expect(tooLarge).toMatchObject({ callback: [{ error: { class: 'RangeError', code: 'ERR_FS_FILE_TOO_LARGE' } }] });
    out.readFileByPath = await callCallback((cb) => fs.readFile(path, cb));
    return out;
  } finally {
    nodeFs.closeSync(fd);
  }
}

describe('files over 2 GiB (sparse)', () => {
  it.each(flavours)('writes and reads past 2^31 and 2^32, and readFile refuses it, %s flavour', async (flavour) => {
    await expectSame(sb, {
      setup,
      snapshot: false,
      run: async (impl, dir) => {
        const path = join(dir, 'big');
        const outcome = await sequence(flavour, impl, path);
        return { ...outcome, probe: probe(path) };
      },
    });
  });
});
