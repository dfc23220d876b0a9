// Replication on real disks and a real socket: a follower directory and a follower behind a TCP
// connection receive every record with its LSN, intact; appends do not wait for the follower
// unless asked ('remote'), and then never resolve before the follower has the record durable;
// a reconnect resumes without a gap or a duplicate; unshipped segments are not trimmed.
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followLog, openLog, type Log } from '../lib/log/index.js';
import { tempDir } from './fixtures/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => { tmp = tempDir('log-repl'); });
afterEach(() => tmp.remove());

const record = (i: number): Buffer => Buffer.from(`record ${i} `.padEnd(64 + (i % 300), String.fromCharCode(97 + (i % 26))));

async function contents(log: Log): Promise<string[]> {
  const out: string[] = [];
  for await (const r of log.read()) out.push(`${r.lsn}:${r.data.toString()}`);
  return out;
}

async function appendMany(log: Log, from: number, count: number): Promise<number[]> {
  const lsns: number[] = [];
  for (let i = 0; i < count; i += 50) lsns.push(...await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => log.append(record(from + i + j)))));
  return lsns;
}

describe('replicateTo(directory)', () => {
  it('ships every record, with its LSN, to a follower log; appends do not wait for it; lag falls to zero', async () => {
    const leader = await openLog(join(tmp.dir, 'leader'), { segmentSize: 64 * 1024 });
    const replica = leader.replicateTo(join(tmp.dir, 'follower'));
    let aheadOfFollower = 0;
    const lsns = await appendMany(leader, 1, 600);
    for (const lsn of lsns) if (replica.lag.durableLsn < lsn) aheadOfFollower++;
    expect(aheadOfFollower, 'appends resolved while the follower did not have them yet').toBeGreaterThan(0);
    await replica.caughtUp();
    expect(replica.lag).toEqual({ records: 0, bytes: 0, shippedLsn: 600, durableLsn: 600 });
    const expected = await contents(leader);
    await leader.close();
    expect(replica.error).toBeNull();
    const follower = await openLog(join(tmp.dir, 'follower'));
    try {
      expect(await contents(follower)).toEqual(expected);
    } finally {
      await follower.close();
    }
  });

  it("ack 'remote': no append resolves before the follower has it durable", async () => {
    const leader = await openLog(join(tmp.dir, 'leader'));
    const replica = leader.replicateTo(join(tmp.dir, 'follower'), { ack: 'remote' });
    const early: number[] = [];
    await Promise.all(Array.from({ length: 200 }, (_, i) => leader.append(record(i)).then((lsn) => {
      if (replica.lag.durableLsn < lsn) early.push(lsn);
    })));
    expect(early).toEqual([]);
    expect(replica.lag.durableLsn).toBe(200);
    await leader.close();
  });

  it('resumes where the follower is after a restart, and truncateBefore keeps what was not shipped', async () => {
    const leaderDir = join(tmp.dir, 'leader');
    let leader = await openLog(leaderDir, { segmentSize: 16 * 1024 });
    let replica = leader.replicateTo(join(tmp.dir, 'follower'));
    await appendMany(leader, 1, 100);
    await replica.caughtUp();
    await leader.close();
    leader = await openLog(leaderDir, { segmentSize: 16 * 1024 });
    await appendMany(leader, 101, 200);
    replica = leader.replicateTo(join(tmp.dir, 'follower'));
    // Nothing past 100 is shipped yet: those segments must stay.
    await leader.truncateBefore(10_000);
    expect(leader.firstLsn).toBeLessThanOrEqual(101);
    await replica.caughtUp();
    const expected = (await contents(leader)).slice(-200);
    await leader.close();
    const follower = await openLog(join(tmp.dir, 'follower'));
    try {
      const got = await contents(follower);
      expect(got.length).toBe(300);
      expect(got.slice(-200)).toEqual(expected);
    } finally {
      await follower.close();
    }
  });
});

describe('replicateTo(socket) and followLog()', () => {
  it("ships over TCP, 'remote' acks come back, and a reconnect resumes without a gap or a duplicate", async () => {
    const followerDir = join(tmp.dir, 'follower');
    const finished: Promise<void>[] = [];
    const server = createServer((socket) => {
      void followLog(socket, followerDir).then((f) => finished.push(f.done));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const dial = async (): Promise<Socket> => {
      const s = connect(port, '127.0.0.1');
      await once(s, 'connect');
      return s;
    };
    try {
      const leader = await openLog(join(tmp.dir, 'leader'));
      let socket = await dial();
      let replica = leader.replicateTo(socket, { ack: 'remote' });
      const early: number[] = [];
      await Promise.all(Array.from({ length: 300 }, (_, i) => leader.append(record(i)).then((lsn) => {
        if (replica.lag.durableLsn < lsn) early.push(lsn);
      })));
      expect(early).toEqual([]);
      await replica.stop();
      await Promise.all(finished);
      // Reconnect: the follower says it has 300; only the new records travel.
      socket = await dial();
      replica = leader.replicateTo(socket);
      await appendMany(leader, 1000, 100);
      await replica.caughtUp();
      expect(replica.lag.shippedLsn).toBe(400);
      const expected = await contents(leader);
      await leader.close();
      await Promise.all(finished);
      const follower = await openLog(followerDir);
      try {
        expect(await contents(follower)).toEqual(expected);
      } finally {
        await follower.close();
      }
    } finally {
      server.close();
    }
  });

  it('bad targets and options are Node-style errors', async () => {
    const leader = await openLog(join(tmp.dir, 'leader'));
    try {
      expect(() => leader.replicateTo(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => leader.replicateTo(join(tmp.dir, 'f'), { ack: 'maybe' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      await expect(followLog({} as never, join(tmp.dir, 'f'))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      await leader.close();
    }
  });
});
