// Runs one case in a fresh child process and turns what it printed (or its
// crash) into a result record. Nothing here measures: the child does.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './environment.js';
import { MARKER } from './protocol.js';

const CHILD = fileURLToPath(new URL('../child.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tail(text, lines = 8) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export function runCase(c, config) {
  const spec = {
    scenario: { ...c.scenario, opsPerPass: c.opsPerPass },
    methodId: c.method.id,
    depth: c.depth,
    ringOptions: c.ringOptions ?? null,
    runs: config.runs,
    warmup: config.warmup,
    minRunMs: config.minRunMs,
    fioMinMs: config.fioMinMs,
    testMethods: config.testMethods,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], {
      cwd: ROOT,
      env: childEnv(c.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, config.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (line) {
        const r = JSON.parse(line.slice(MARKER.length));
        if (r.status === 'failed' && stderr.trim()) r.error.stderr = tail(stderr);
        return resolve(r);
      }
      const why = timedOut ? `timed out after ${config.timeoutMs / 1000} s` : signal ? `killed by ${signal}` : `exited with code ${code} before reporting`;
      resolve({ status: 'failed', error: { message: `child process ${why}`, stderr: tail(stderr), stdout: tail(stdout) } });
    });
  });
}
