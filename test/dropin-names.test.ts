// Every name node:fs and node:fs/promises export is exported by uringfs and uringfs/promises,
// named and through the default export, so that an app swapping the import never fails to link.
// The functions uringfs runs itself are its own; every other name is node:fs's own, the same
// value. Backend-independent: runs once (vitest 'package' project).
import * as nodeFs from 'node:fs';
import * as nodeFsPromises from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import uringfsDefault, * as uringfs from '../lib/index.js';
import uringfsPromisesDefault, * as uringfsPromises from '../lib/promises.js';
import { packageRoot, runNode } from './fixtures/helpers.js';

// What uringfs runs itself (lib/callback.ts, lib/sync.ts, lib/promises-flavour.ts, lib/dirs.ts, lib/dir.ts, lib/streams.ts), besides the classes.
const OWN = [
  'open', 'close', 'read', 'write', 'readv', 'writev', 'fsync', 'fdatasync', 'fstat', 'stat', 'lstat', 'readFile',
  'writeFile', 'appendFile', 'unlink', 'rmdir', 'rename', 'mkdir', 'mkdtemp', 'link', 'symlink', 'ftruncate', 'truncate', 'readdir', 'opendir', 'createReadStream', 'createWriteStream',
];
const OWN_SYNC = OWN.map((name) => `${name}Sync`);
const OWN_PROMISES = ['access', 'open', 'readFile', 'writeFile', 'appendFile', 'stat', 'lstat', 'unlink', 'rmdir', 'rename', 'mkdir', 'mkdtemp', 'link', 'symlink', 'truncate', 'readdir', 'opendir'];

const names = (ns: object) => Object.keys(ns).filter((k) => k !== 'default' && k !== 'module.exports');

describe.each([
  { entry: 'uringfs', node: nodeFs as Record<string, unknown>, named: uringfs as Record<string, unknown>, dflt: uringfsDefault as Record<string, unknown>, own: [...OWN, ...OWN_SYNC, 'Dir', 'promises', 'ReadStream', 'WriteStream', 'FileReadStream', 'FileWriteStream'] },
  { entry: 'uringfs/promises', node: nodeFsPromises as Record<string, unknown>, named: uringfsPromises as Record<string, unknown>, dflt: uringfsPromisesDefault as Record<string, unknown>, own: OWN_PROMISES },
])('$entry', ({ node, named, dflt, own }) => {
  it('exports every name of the node:fs module it stands for, of the same kind', () => {
    const nodeNames = names(node);
    expect(nodeNames.length).toBeGreaterThan(20);
    expect(nodeNames.filter((k) => !(k in named))).toEqual([]);
    expect(nodeNames.filter((k) => typeof named[k] !== typeof node[k])).toEqual([]);
  });

  it('runs its own functions, and hands every other name to node:fs', () => {
    for (const k of names(node)) {
      if (own.includes(k)) expect(named[k], k).not.toBe(node[k]);
      else expect(named[k], k).toBe(node[k]);
    }
  });

  it("gives its own functions node:fs's lengths (the parameters before the first optional one)", () => {
    const length = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'function' ? (o[k] as () => void).length : null);
    expect(own.filter((k) => length(named, k) !== length(node, k)).map((k) => `${k}: ${length(named, k)}, node:fs ${length(node, k)}`)).toEqual([]);
  });

  it("keeps read-only what node:fs keeps read-only (F_OK …: Node 24's as node:fs's own deprecated getters)", () => {
    const readOnly = (o: object) => Object.entries(Object.getOwnPropertyDescriptors(o))
      .filter(([k, d]) => (d.get !== undefined && d.set === undefined && k !== 'promises') || ('value' in d && !d.writable))
      .map(([k, d]) => [k, d.get ?? 'read-only value']);
    expect(readOnly(dflt)).toEqual(readOnly((node as { default: object }).default));
  });

  it('has a default export with every named export, which code may patch', () => {
    expect(names(named).filter((k) => dflt[k] !== named[k])).toEqual([]);
    const original = dflt.readFile;
    dflt.readFile = 'patched';
    expect(dflt.readFile).toBe('patched');
    expect(named.readFile).toBe(original);
    dflt.readFile = original;
  });
});

describe('an app written for node:fs', () => {
  it("runs with `import fs from 'uringfs'` and `require('uringfs')` in place of node:fs", async () => {
    const app = `
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swap-'));
      fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
      fs.mkdirSync(path.join(dir, 'sub'));
      const listed = fs.readdirSync(dir).sort().join(',');
      const exists = fs.existsSync(path.join(dir, 'a.txt'));
      const text = await fsp.readFile(path.join(dir, 'a.txt'), 'utf8');
      const streamed = await new Promise((resolve, reject) => {
        let s = '';
        fs.createReadStream(path.join(dir, 'a.txt'), 'utf8').on('data', (d) => { s += d; }).on('end', () => resolve(s)).on('error', reject);
      });
      fs.copyFileSync(path.join(dir, 'a.txt'), path.join(dir, 'b.txt'));
      const copied = fs.readFileSync(path.join(dir, 'b.txt'), 'utf8');
      fs.rmSync(dir, { recursive: true });
      console.log(JSON.stringify({ listed, exists, text, streamed, copied, gone: !fs.existsSync(dir), R_OK: fs.R_OK === fs.constants.R_OK }));
    `;
    const expected = { listed: 'a.txt,sub', exists: true, text: 'hello', streamed: 'hello', copied: 'hello', gone: true, R_OK: true };
    const esm = `import fs from 'uringfs'; import fsp from 'uringfs/promises'; import os from 'node:os'; import path from 'node:path';\n${app}`;
    const cjs = `const fs = require('uringfs'); const fsp = require('uringfs/promises'); const os = require('node:os'); const path = require('node:path');\n(async () => {${app}})();`;
    for (const [flag, source] of [['--input-type=module', esm], ['--input-type=commonjs', cjs]]) {
      const r = await runNode([flag, '-e', source], 30_000);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(expected);
    }
  });

  it('the package entries resolve for the names (dist, through package.json "exports")', () => {
    const require = createRequire(join(packageRoot, 'package.json'));
    const cjs = require('uringfs') as Record<string, unknown>;
    expect(typeof cjs.readdirSync).toBe('function');
    expect(typeof cjs.existsSync).toBe('function');
  });

  it('require() gives the default export, one object of plain properties that code and mocks may replace, as node:fs', async () => {
    // Each module as an app sees it: require and import of the module and of its promises.
    const probe = (fs: string, fsp: string) => `
      const fs = require('${fs}'), fsp = require('${fsp}'), { mock } = require('node:test');
      import('${fs}').then((esm) => import('${fsp}').then((esmp) => {
        const out = {
          sameObject: esm.default === fs && esmp.default === fsp,
          promises: fs.promises === fsp && esm.promises === fsp,
          extensible: Object.isExtensible(fs) && Object.isExtensible(fsp),
          // Functions as writable data properties, which is what mocking tools replace.
          functionsAreData: [fs, fsp].every((o) => Object.values(Object.getOwnPropertyDescriptors(o)).every((d) => typeof d.value !== 'function' || d.writable)),
        };
        const spy = mock.method(fs, 'readFileSync');
        fs.readFileSync('/proc/self/stat');
        out.mocked = spy.mock.calls.length;
        mock.restoreAll();
        fs.open = 'patched';
        out.patched = require('${fs}').open;
        console.log(JSON.stringify(out));
      }));`;
    const expected = { sameObject: true, promises: true, extensible: true, functionsAreData: true, mocked: 1, patched: 'patched' };
    for (const [fs, fsp] of [['node:fs', 'node:fs/promises'], ['uringfs', 'uringfs/promises']]) {
      const r = await runNode(['-e', probe(fs, fsp)], 30_000);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout), fs).toEqual(expected);
    }
  });
});
