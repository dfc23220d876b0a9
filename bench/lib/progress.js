// Progress on stderr: a bar on a terminal, one quiet line per case and per
// round otherwise (CI logs, pipes, tests). A step is one case started
// (set-up and warm-up) or one timed run.
import cliProgress from 'cli-progress';
import { si } from './report.js';

export function caseLabel(c) {
  return `${c.scenario.label} · ${c.method.id} · ${c.backend} · ${c.depthLabel}`;
}

function outcome(rec) {
  if (rec.status === 'ok') return `${si(rec.opsPerSec.mean)} ops/s${rec.ratioToBaseline ? ` (${rec.ratioToBaseline.toFixed(2)}×)` : ''}, ${rec.runs} rounds`;
  if (rec.status === 'skipped') return `skipped: ${rec.reason}`;
  return `FAILED: ${rec.error?.message}`;
}

export function makeProgress(total, stream = process.stderr) {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: '{bar} {value}/{total} | {eta_formatted} left | {label}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { label: 'preparing' });
    return {
      note(text) { bar.update({ label: text.slice(0, Math.max(20, (stream.columns ?? 100) - 50)) }); },
      step(n = 1) { bar.increment(n); },
      grow(n) { bar.setTotal(bar.getTotal() + n); },
      done(c, rec) {
        if (rec.status === 'failed') {
          bar.stop();
          stream.write(`FAILED ${caseLabel(c)}: ${rec.error?.message}\n`);
          bar.start(bar.getTotal(), bar.value, { label: '' });
        }
      },
      stop() { bar.stop(); },
    };
  }
  return {
    note(text) { stream.write(`${text}\n`); },
    step() {},
    grow() {},
    done(c, rec) { stream.write(`  ${caseLabel(c)}: ${outcome(rec)}\n`); },
    stop() {},
  };
}
