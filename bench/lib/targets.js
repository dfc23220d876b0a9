// The ratios issue 5 sets as targets, computed from the measured rows of this
// run (never from stored numbers): each line names the two rows it divides.
// A target whose rows were not measured in this run is left out.

const C = 'concurrency';

/** [scenario id, I/O or file size, subject method, subject depth, reference method, reference depth, minimum ratio]. */
const TARGETS = [
  ['small-files', 4096, 'uringfs.readFiles', 'all', 'fs.readFileSync', 1, 2.5],
  ['small-files', 4096, 'uringfs.promises.readFile', 'all', 'fs.readFileSync', 1, 2.5],
  ['small-files', 4096, 'uringfs.readFiles', 'all', 'fs.promises.readFile', C, 10],
  ['small-files', 4096, 'uringfs.promises.readFile', 'all', 'fs.promises.readFile', C, 10],
  ['small-files', 4096, 'uringfs.readFilesSync', 'all', 'fs.readFileSync', 1, 3],
  ['random-read', 4096, 'uringfs.batch', 64, 'fs.readSync', 1, 1.4],
  ['random-read', 4096, 'uringfs.batchSync', 64, 'fs.readSync', 1, 1.4],
  ['random-read', 4096, 'uringfs.promises.FileHandle.read', 64, 'fs.read', 64, 2],
  ['random-read-direct', 4096, 'uringfs.promises.FileHandle.read', 64, 'fs.readSync', 1, 2.5],
  ['random-read-direct', 4096, 'uringfs.batch', 64, 'fs.readSync', 1, 2.5],
  ['random-read-direct', 4096, 'uringfs.promises.FileHandle.read', 64, 'fs.read', 64, 1.4],
  ['random-read-direct', 4096, 'uringfs.batch', 64, 'fs.read', 64, 1.4],
  ['random-read-direct', 4096, 'uringfs.promises.FileHandle.read', 64, 'fio.io_uring', 64, 0.9],
  ['random-read-direct', 4096, 'uringfs.batch', 64, 'fio.io_uring', 64, 0.9],
  ['large-files', 4 * 1024 * 1024, 'uringfs.readFiles', 'all', 'fs.readFileSync', 1, 0.95],
  ['large-files', 4 * 1024 * 1024, 'uringfs.promises.readFile', C, 'fs.readFileSync', 1, 0.95],
  ['large-files', 4 * 1024 * 1024, 'uringfs.readFiles', 'all', 'fs.promises.readFile', C, 1.3],
  ['large-files', 4 * 1024 * 1024, 'uringfs.promises.readFile', C, 'fs.promises.readFile', C, 1.3],
];

function pick(rows, method, depth, backend, config, scenario) {
  const d = depth === C ? config.concurrency : depth === 'all' ? scenario.opsPerPass : depth;
  return rows.find((r) => r.method === method && r.depth === d && (backend === null || r.backend === backend) && r.status === 'ok');
}

/** Every target this run can evaluate, per uringfs backend. */
export function evaluateTargets(doc) {
  const out = [];
  for (const [id, size, subject, sDepth, reference, rDepth, min] of TARGETS) {
    const s = doc.scenarios.find((x) => x.id === id && x.size === size);
    if (!s) continue;
    const rows = doc.results.filter((r) => r.scenario === s.key);
    const refBackend = reference.startsWith('fio') ? 'fio' : 'node';
    const ref = pick(rows, reference, rDepth, refBackend, doc.config, s);
    if (!ref) continue;
    const backends = [...new Set(rows.filter((r) => r.family === 'uringfs').map((r) => r.backend))];
    for (const b of backends) {
      const sub = pick(rows, subject, sDepth, b, doc.config, s);
      if (!sub) continue;
      const ratio = sub.opsPerSec.median / ref.opsPerSec.median;
      out.push({
        scenario: s.key, label: s.label, backend: b,
        subject: { method: subject, depth: sub.depth, depthLabel: sub.depthLabel, opsPerSec: sub.opsPerSec.median },
        reference: { method: reference, backend: ref.backend, depth: ref.depth, depthLabel: ref.depthLabel, opsPerSec: ref.opsPerSec.median },
        ratio, min, met: ratio >= min,
      });
    }
  }
  return out;
}

export function renderTargets(targets) {
  if (targets.length === 0) return '';
  const lines = ['', 'Targets (issue 5), from this run:'];
  for (const t of targets) {
    const at = (x) => (x.depth === 1 ? '' : ` @${x.depthLabel}`);
    lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.label}: ${t.subject.method}${at(t.subject)} [${t.backend}] ÷ ${t.reference.method}${at(t.reference)} = ${t.ratio.toFixed(2)}× (target ≥ ${t.min}×)`);
  }
  return lines.join('\n');
}
