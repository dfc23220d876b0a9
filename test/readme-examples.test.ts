// The examples of README.md and docs/*.md are programs: every ```js block runs, as an ES module, in its own child
// process, importing 'uringfs' as a user would (a temp dir whose node_modules/uringfs links to this
// package, so the name resolves through package.json "exports" to dist/). A block passes when it
// exits 0 with nothing on stderr. A fragment that cannot run alone is fenced ```js no-run.
// Their relative links must point to files that exist (docs/*.md ship with the package).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot, tempDir } from './fixtures/helpers.js';

/** Run an example; its os.tmpdir() is a directory of ours, so what it leaves there is cleaned up. */
function runExample(file: string, tmp: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: tmp, env: { ...process.env, TMPDIR: tmp }, timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: string; killed?: boolean }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout,
        stderr,
        timedOut: e?.killed === true,
      });
    });
  });
}

interface Block {
  line: number;
  lang: string;
  flags: string[];
  code: string;
}

/** The fenced code blocks of a markdown file, with the line where each starts. */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```([\w-]*)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of markdown.matchAll(fence)) {
    blocks.push({
      line: markdown.slice(0, m.index).split('\n').length,
      lang: m[1],
      flags: m[2].trim().split(/\s+/).filter(Boolean),
      code: m[3],
    });
  }
  return blocks;
}

const documents = ['README.md', ...readdirSync(join(packageRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  if (!existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` (npm test does it)');
  tmp = tempDir('readme');
  mkdirSync(join(tmp.dir, 'node_modules'));
  symlinkSync(packageRoot, join(tmp.dir, 'node_modules', 'uringfs'), 'dir');
});
afterAll(() => tmp?.remove());

for (const doc of documents) {
  const text = readFileSync(join(packageRoot, doc), 'utf8');
  const runnable = codeBlocks(text).filter((b) => (b.lang === 'js' || b.lang === 'javascript') && !b.flags.includes('no-run'));
  const slug = doc.replace(/[^a-z0-9]+/gi, '-');

  describe(doc, () => {
    it('pairs every fence (an odd count would mean a block swallowed prose)', () => {
      expect((text.match(/^```/gm) ?? []).length).toBe(codeBlocks(text).length * 2);
      if (doc === 'README.md') expect(runnable.length).toBeGreaterThan(3);
    });

    for (const block of runnable) {
      const title = block.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import')) ?? '';
      it(`example at line ${block.line} runs: ${title.trim().slice(0, 60)}`, async () => {
        const file = join(tmp.dir, `${slug}-line-${block.line}.mjs`);
        writeFileSync(file, block.code);
        const scratch = join(tmp.dir, `tmp-${slug}-${block.line}`);
        mkdirSync(scratch);
        const r = await runExample(file, scratch);
        const report = `${doc} line ${block.line}: code ${r.code} signal ${r.signal}${r.timedOut ? ' (killed: hung)' : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
        expect(r.timedOut, report).toBe(false);
        expect(r.code, report).toBe(0);
        expect(r.stderr, report).toBe('');
        expect(r.stdout.length, report).toBeGreaterThan(0);
      });
    }

    it('links only to files that exist', () => {
      const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
      const missing = links.filter((l) => !existsSync(join(packageRoot, dirname(doc), l)));
      expect(missing).toEqual([]);
    });
  });
}
