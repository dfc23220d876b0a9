// The API reference (`npm run docs`: typedoc + typedoc-plugin-markdown → docs/api/, generated, not
// committed) builds from the TSDoc without errors, covers every runtime export of both entries,
// and every export has a summary; the ones with a node:fs counterpart name it.
import * as nodeFs from 'node:fs';
import * as nodeFsPromises from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot as root, runNode, tempDir, type ChildResult } from './fixtures/helpers.js';

interface CommentPart { text: string }
interface Reflection {
  id: number;
  name: string;
  kind: number;
  comment?: { summary: CommentPart[] };
  signatures?: Reflection[];
  getSignature?: Reflection;
  children?: Reflection[];
  target?: number;
}

const KIND_REFERENCE = 4194304;

let tmp: ReturnType<typeof tempDir>;
let result: ChildResult;
let project: Reflection;
const byId = new Map<number, Reflection>();

beforeAll(async () => {
  tmp = tempDir('api-docs');
  const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
  result = await runNode([typedoc, '--out', join(tmp.dir, 'md'), '--json', join(tmp.dir, 'api.json'), '--logLevel', 'Error'], 120_000);
  if (existsSync(join(tmp.dir, 'api.json'))) {
    project = JSON.parse(readFileSync(join(tmp.dir, 'api.json'), 'utf8'));
    const index = (r: Reflection): void => {
      byId.set(r.id, r);
      r.children?.forEach(index);
    };
    index(project);
  }
}, 180_000);
afterAll(() => tmp?.remove());

function summary(r: Reflection | undefined): string {
  if (!r) return '';
  const text = (x?: Reflection) => x?.comment?.summary.map((p) => p.text).join('').trim() ?? '';
  // A re-export: its own comment (on the export statement), else the exported thing's.
  if (r.kind === KIND_REFERENCE) return text(r) || summary(byId.get(r.target!));
  return [text(r), ...(r.signatures ?? []).map(text), text(r.getSignature)].filter(Boolean).join(' ');
}

const entries: { module: string; dist: string; mirror: Record<string, unknown> | null }[] = [
  { module: 'uringfs', dist: 'index.js', mirror: nodeFs as Record<string, unknown> },
  { module: 'promises', dist: 'promises.js', mirror: nodeFsPromises as Record<string, unknown> },
  // uringfs/log has no node:fs counterpart to name.
  { module: 'log', dist: 'log/index.js', mirror: null },
];

describe('API reference (typedoc)', () => {
  it('builds without errors', () => {
    expect(result.code, `typedoc: code ${result.code}\n${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/\[error\]/i);
    expect(existsSync(join(tmp.dir, 'md', 'README.md'))).toBe(true);
  });

  for (const entry of entries) {
    it(`documents every runtime export of dist/${entry.dist}, each with a summary`, async () => {
      expect(project, 'typedoc wrote no api.json (see "builds without errors")').toBeDefined();
      const mod = project.children!.find((c) => c.name === entry.module)!;
      expect(mod, `module ${entry.module} in the reference`).toBeDefined();
      const exported = Object.keys(await import(pathToFileURL(join(root, 'dist', entry.dist)).href));
      const documented = new Map(mod.children!.map((c) => [c.name, c]));
      expect(exported.filter((name) => !documented.has(name))).toEqual([]);
      const undocumented = [...documented.values()].filter((r) => summary(r) === '').map((r) => r.name);
      expect(undocumented).toEqual([]);
    });

    if (entry.mirror !== null) it(`names the node:fs function each ${entry.module} function mirrors`, () => {
      expect(project, 'typedoc wrote no api.json (see "builds without errors")').toBeDefined();
      const mod = project.children!.find((c) => c.name === entry.module)!;
      const mirrored = mod.children!.filter((r) => r.kind !== KIND_REFERENCE && typeof entry.mirror![r.name] === 'function');
      expect(mirrored.length).toBeGreaterThan(5);
      const silent = mirrored.filter((r) => !/\b(node:fs|fs|fsPromises|fsp)\b/.test(summary(r))).map((r) => r.name);
      expect(silent).toEqual([]);
    });
  }
});
