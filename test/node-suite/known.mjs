// The test files of Node's own fs suite that are known to fail with fs swapped for uringfs: the
// table in docs/differences.md ("Node's own fs tests"), so that the list and its reasons are kept
// in one place, the one users read.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const doc = fileURLToPath(new URL('../../docs/differences.md', import.meta.url));
const heading = "## Node's own fs tests";

/**
 * Map of test file → { why, sometimes }, for the files the table lists for this Node major (a
 * row's "Node" column: "20, 22" or "all", followed by "sometimes" for a file whose outcome depends
 * on timing, which may pass swapped as well).
 */
export function knownDifferences(major = Number(process.versions.node.split('.')[0])) {
  const text = readFileSync(doc, 'utf8');
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`docs/differences.md has no section "${heading}"`);
  const end = text.indexOf('\n## ', start + heading.length);
  const known = new Map();
  for (const line of text.slice(start, end < 0 ? undefined : end).split('\n')) {
    const row = line.match(/^\|\s*`(test-fs-[^`]+)`\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*$/);
    if (!row) continue;
    const [, file, column, why] = row;
    const sometimes = /\bsometimes$/.test(column);
    const versions = column.replace(/,?\s*sometimes$/, '');
    if (versions === 'all' || versions.split(/,\s*/).map(Number).includes(major)) known.set(file, { why, sometimes });
  }
  return known;
}
