// Runs one case in a child process of its own, kept for that process's share
// of the scenario's rounds: the parent starts it (set-up, warm-up,
// calibration), then asks it for one timed run per round, and finally for its
// totals. A case has one such process after another (--processes); the runs
// of all of them go into one list. Nothing here measures: the child does. A
// crash, a timeout or a failed run ends the case with a failure record; the
// other cases go on.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './environment.js';
import { MARKER } from './protocol.js';

const CHILD = fileURLToPath(new URL('../child.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tail(text, lines = 8) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Where a case's runs go, over all its processes: one entry per timed run. */
export function caseRuns() {
  return { samplesNs: [], rounds: [], process: [], opsEach: [], bytesEach: [] };
}

export class CaseProcess {
  /** `runs`: the case's runs so far (caseRuns()), this process's are added; `index`: which process of the case this is. */
  constructor(c, config, runs = caseRuns(), index = 0) {
    this.c = c;
    this.config = config;
    this.runs = runs;
    this.index = index;
    this.final = null;
    this.ready = null;
    this.stdout = '';
    this.stderr = '';
    this.waiter = null;
  }

  /** Start the child; resolves once it is loaded and set up (or has already ended). */
  load() {
    const { c, config } = this;
    const spec = {
      scenario: { ...c.scenario, opsPerPass: c.opsPerPass },
      methodId: c.method.id,
      depth: c.depth,
      ringOptions: c.ringOptions ?? null,
      warmup: config.warmup,
      minRunMs: config.minRunMs,
      repeat: config.repeat,
      fioMinMs: config.fioMinMs,
      testMethods: config.testMethods,
    };
    const child = fork(CHILD, [JSON.stringify(spec)], {
      cwd: ROOT,
      env: childEnv(c.env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(MARKER)) this.onMessage(JSON.parse(line.slice(MARKER.length)));
        else this.stdout += `${line}\n`;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (this.stderr += d));
    child.on('error', () => {});
    child.on('close', (code, signal) => {
      if (this.final) return this.wake();
      const why = this.timedOut ? `timed out after ${config.timeoutMs / 1000} s` : signal ? `killed by ${signal}` : `exited with code ${code} before reporting`;
      this.final = { status: 'failed', error: { message: `child process ${why}`, stderr: tail(this.stderr), stdout: tail(this.stdout) } };
      this.wake();
    });
    return this.wait();
  }

  onMessage(msg) {
    if (msg.type === 'loaded') this.loaded = true;
    else if (msg.type === 'ready') this.ready = msg;
    else if (msg.type === 'run') this.last = msg;
    else if (msg.type === 'final') {
      const { type, ...rest } = msg;
      if (rest.status === 'failed' && this.stderr.trim()) rest.error.stderr = tail(this.stderr);
      this.final = rest;
    }
    this.wake();
  }

  wake() {
    const w = this.waiter;
    this.waiter = null;
    if (w) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  wait() {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timedOut = true;
        this.child.kill('SIGKILL');
      }, this.config.timeoutMs);
      this.waiter = { resolve, timer };
    });
  }

  /** Warm up and calibrate (alone: the parent runs one at a time). */
  async warmup() {
    if (!this.alive) return;
    const p = this.wait();
    try {
      this.child.send({ cmd: 'warmup' });
    } catch {
      // the child is gone; 'close' records why
    }
    await p;
  }

  get alive() {
    return this.final === null;
  }

  /** One timed run, tagged with its round; false when the case has ended (failed). */
  async run(round) {
    if (!this.alive) return false;
    this.last = null;
    const p = this.wait();
    try {
      this.child.send({ cmd: 'run' });
    } catch {
      // the child is gone; 'close' records why
    }
    await p;
    if (!this.last) return false;
    const r = this.runs;
    r.samplesNs.push(this.last.ns);
    r.opsEach.push(this.last.ops);
    r.bytesEach.push(this.last.bytes);
    r.rounds.push(round);
    r.process.push(this.index);
    return true;
  }

  /** The child's totals (its runs are in `runs`), tagged with the process's index. */
  async finish() {
    if (this.alive) {
      const p = this.wait();
      try {
        this.child.send({ cmd: 'finish' });
      } catch {
        // the child is gone; 'close' records why
      }
      await p;
    }
    const f = this.final;
    if (f.status !== 'ok') return f;
    return { ...f, index: this.index, warmupNs: f.warmupNs ?? this.ready?.warmupNs ?? [] };
  }

  kill() {
    if (this.alive) this.child.kill('SIGKILL');
  }
}
