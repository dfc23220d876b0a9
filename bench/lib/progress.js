// Progress on stderr: a bar on a terminal, one quiet line per case otherwise
// (CI logs, pipes, tests).
import cliProgress from 'cli-progress';
import { si } from './report.js';

function caseLabel(c) {
  return `${c.scenario.label} · ${c.method.id} · ${c.backend} · ${c.depthLabel}`;
}

function outcome(rec) {
  if (rec.status === 'ok') return `${si(rec.opsPerSec.median)} ops/s${rec.ratioToBaseline ? ` (${rec.ratioToBaseline.toFixed(2)}×)` : ''}`;
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
      etaBuffer: 20,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { label: 'preparing' });
    return {
      note(text) { bar.update({ label: text }); },
      start(c) { bar.update({ label: caseLabel(c).slice(0, Math.max(20, (stream.columns ?? 100) - 50)) }); },
      done(_c, rec) {
        if (rec.status === 'failed') {
          bar.stop();
          stream.write(`FAILED ${caseLabel(_c)}: ${rec.error?.message}\n`);
          bar.start(total, bar.value, { label: '' });
        }
        bar.increment();
      },
      stop() { bar.stop(); },
    };
  }
  let n = 0;
  const width = String(total).length;
  return {
    note(text) { stream.write(`${text}\n`); },
    start() {},
    done(c, rec) {
      n++;
      stream.write(`[${String(n).padStart(width)}/${total}] ${caseLabel(c)}: ${outcome(rec)}\n`);
    },
    stop() {},
  };
}
