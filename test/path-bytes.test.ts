// Paths as the kernel gets them, compared with node:fs: the sync calls convert a string path to
// UTF-8 in native code, in a room of 4096 bytes (longer ones take a second conversion), and the
// rings convert it as the op is queued. Around that room's size, a conversion cut off before a
// character that did not fit would name a shorter path that exists here; a lone surrogate must
// become U+FFFD as node:fs makes it.
import { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox, callCallback, callPromise, callSync, expectSame, flavours, type Flavour, type Impl, type Outcome } from './helpers-differential.js';

const sb = new Sandbox('path-bytes');
afterAll(() => sb.cleanup());

/** A directory deep enough that files in it have paths of 4088 to 4095 bytes (PATH_MAX - 1). */
function deepDir(root: string): string {
  let dir = root;
  while (Buffer.byteLength(dir) < 3800) dir = join(dir, 'd'.repeat(200));
  return dir;
}

/** The path of `bytes` bytes in `dir`: a file name of ASCII letters. */
function pathOf(dir: string, bytes: number): string {
  return join(dir, 'f'.repeat(bytes - Buffer.byteLength(dir) - 1));
}

const lengths = [4088, 4089, 4090, 4091, 4092, 4093, 4094, 4095];
// Appended to those paths: nothing, and characters of 1 to 4 UTF-8 bytes (the last a surrogate pair).
const tails = ['', 'x', 'é', '€', '\u{1d11e}'];

const setup = (root: string): void => {
  const dir = deepDir(root);
  nodeFs.mkdirSync(dir, { recursive: true });
  for (const n of lengths) nodeFs.writeFileSync(pathOf(dir, n), `${n} bytes`);
  nodeFs.writeFileSync(join(root, 'lone-\ud800-surrogate'), 'made by node:fs');
};

function call(flavour: Flavour, impl: Impl, fn: string, args: unknown[]): Promise<Outcome> | Outcome {
  if (flavour === 'sync') return callSync(() => impl.fs[`${fn}Sync`](...args));
  if (flavour === 'callback') return callCallback((cb) => impl.fs[fn](...args, cb));
  return callPromise(() => impl.fsp[fn](...args));
}

/** Stats described (helpers-differential) kept to their size: their times differ between the two runs' files. */
function sizesOnly(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sizesOnly);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (o.class === 'Stats') return { size: o.size };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, sizesOnly(x)]));
}

/** What calls on `path` tell: stat's and lstat's size, readFile's bytes, or their errors. */
async function outcomes(flavour: Flavour, impl: Impl, path: string): Promise<unknown> {
  const out: Outcome[] = [];
  out.push(await call(flavour, impl, 'stat', [path]));
  out.push(await call(flavour, impl, 'lstat', [path]));
  out.push(await call(flavour, impl, 'readFile', [path, 'latin1']));
  out.push(await call(flavour, impl, 'readFile', [path]));
  return sizesOnly(out);
}

describe.each(flavours)('paths near 4096 bytes, %s flavour', (flavour) => {
  for (const n of lengths) {
    it(`a file of ${n} bytes, and that path with 1 to 4 bytes more`, async () => {
      await expectSame(sb, {
        setup,
        run: async (impl, root) => {
          const path = pathOf(deepDir(root), n);
          const out: Outcome = {};
          for (const tail of tails) out[`+${JSON.stringify(tail)}`] = await outcomes(flavour, impl, path + tail);
          return out;
        },
      });
    });
  }

  it('a path past PATH_MAX is ENAMETOOLONG, not the file its first 4095 bytes name', async () => {
    const { uring } = await expectSame(sb, {
      setup,
      run: async (impl, root) => ({ found: await outcomes(flavour, impl, `${pathOf(deepDir(root), 4093)}\u{1d11e}`) }),
    });
    expect(JSON.stringify(uring.found)).toContain('ENAMETOOLONG');
  });

  it('a lone surrogate names the file node:fs made for it (U+FFFD)', async () => {
    const { uring } = await expectSame(sb, {
      setup,
      run: async (impl, root) => ({ found: await outcomes(flavour, impl, join(root, 'lone-\ud800-surrogate')) }),
    });
    expect(JSON.stringify(uring.found)).toContain('made by node:fs');
  });

  it("a missing path's lone surrogates are U+FFFD in the error's path, dest and message, as node:fs has them", async () => {
    const { uring } = await expectSame(sb, {
      setup,
      run: async (impl, root) => {
        const missing = join(root, 'gone-\udc00-\ud800');
        return {
          found: await outcomes(flavour, impl, missing),
          open: await call(flavour, impl, 'open', [missing, 'r']),
          rename: await call(flavour, impl, 'rename', [missing, `${missing}\ud801`]),
        };
      },
    });
    expect(JSON.stringify(uring)).toContain('gone-\ufffd-\ufffd');
    expect(JSON.stringify(uring)).not.toMatch(/\\ud[89a-f]/i);
  });

  it('creates, renames and removes at paths near 4096 bytes as node:fs does', async () => {
    await expectSame(sb, {
      setup,
      run: async (impl, root) => {
        const dir = deepDir(root);
        const out: Outcome = {};
        for (const n of [4091, 4092, 4093, 4094]) {
          const from = pathOf(dir, n);
          out[`mkdir ${n}+€`] = await call(flavour, impl, 'mkdir', [`${from}€`]);
          out[`rename ${n}+€`] = await call(flavour, impl, 'rename', [from, `${from.slice(0, -3)}€`]);
          out[`unlink ${n}+é`] = await call(flavour, impl, 'unlink', [`${from}é`]);
        }
        return out;
      },
    });
  });
});
