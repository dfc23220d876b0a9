// kill -9 of a process appending to a log, many times per commit mode: after each kill the log
// is reopened here and read back whole. Every record whose append resolved in 'sync' or 'group'
// mode must be there, intact, under its LSN; in 'async' mode every record up to the durableLsn
// the child had seen. LSNs run from 1 without a gap, every record is one the child wrote, none
// twice. Segments are small (64 KiB), so kills also land during rotations.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../lib/log/index.js';
import { fixturesDir, Prng, startNode, tempDir } from './fixtures/helpers.js';
import { identify } from './fixtures/log-appender.mjs';

const ROUNDS = 8;
const SEGMENT = 64 * 1024;

interface Ack { w: number; s: number }

/** The complete `ack` lines of a killed child's stdout, and the highest durableLsn it printed. */
function parseAcks(stdout: string, acked: Map<number, Ack>): number {
  let durable = 0;
  const lines = stdout.split('\n');
  lines.pop();  // the last one may be cut short by the kill
  for (const line of lines) {
    const m = /^ack (\d+) (\d+) (\d+) (\d+)$/.exec(line);
    if (m === null) continue;
    acked.set(Number(m[1]), { w: Number(m[2]), s: Number(m[3]) });
    durable = Math.max(durable, Number(m[4]));
  }
  return durable;
}

describe('a log survives kill -9 of its writer', () => {
  for (const mode of ['sync', 'group', 'async'] as const) {
    it(`'${mode}': ${ROUNDS} kills, each reopen keeps every acknowledged record intact, no gap, nothing foreign`, async () => {
      const tmp = tempDir(`log-crash-${mode}`);
      const prng = new Prng(mode.length * 31 + 7);
      const acked = new Map<number, Ack>();
      let durableSeen = 0;
      let killsWithAcks = 0;
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const child = startNode([join(fixturesDir, 'log-appender.mjs'), tmp.dir, mode, String(SEGMENT), '16', String(round)], 30_000);
          await child.waitFor('ready');
          // Kill while appends are being acknowledged (and, some rounds, later: mid-rotation).
          await child.waitFor('ack ');
          await new Promise((r) => setTimeout(r, prng.int(0, 120)));
          child.child.kill('SIGKILL');
          const result = await child.result;
          expect(result.signal, result.stderr).toBe('SIGKILL');
          const before = acked.size;
          durableSeen = Math.max(durableSeen, parseAcks(result.stdout, acked));
          if (acked.size > before) killsWithAcks++;

          const log = await openLog(tmp.dir, { segmentSize: SEGMENT });
          try {
            const seen = new Set<string>();
            let expected = 1;
            for await (const { lsn, data } of log.read()) {
              expect(lsn).toBe(expected++);
              const id = identify(data);
              expect(id, `LSN ${lsn} holds bytes no appender wrote`).not.toBeNull();
              expect(seen.has(`${id!.w}:${id!.s}`), `LSN ${lsn} repeats a record`).toBe(false);
              seen.add(`${id!.w}:${id!.s}`);
              const ack = acked.get(lsn);
              if (ack !== undefined) expect(id, `LSN ${lsn} was acknowledged as ${ack.w}:${ack.s}`).toEqual(ack);
            }
            const last = expected - 1;
            expect(log.lastLsn).toBe(last);
            expect(log.recovery.lastLsn).toBe(last);
            expect(log.recovery.records).toBe(last);
            const required = mode === 'async' ? durableSeen : Math.max(0, ...acked.keys());
            expect(last, `round ${round}: records up to ${required} were acknowledged as durable`).toBeGreaterThanOrEqual(required);
            // 'async' may lose what was after durableLsn: those acks no longer name a record.
            for (const lsn of acked.keys()) if (lsn > last) acked.delete(lsn);
          } finally {
            await log.close();
          }
        }
        expect(killsWithAcks).toBe(ROUNDS);
        expect(acked.size).toBeGreaterThan(100);
      } finally {
        tmp.remove();
      }
    }, 120_000);
  }
});
