// A log on a full disk, for real: a small tmpfs (and an ext4 image on a loop device whose backing
// store is a small tmpfs, so that writes reach the page cache but fdatasync fails). A failed
// write or fdatasync rejects every append of its group with the system error, later appends
// with ERR_URINGFS_LOG_FAILED, leaves the log readable up to its last durable LSN, and a reopen
// recovers it. Needs root (mount); skipped with the reason otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLog, type Log } from '../lib/log/index.js';
import { tempDir } from './fixtures/helpers.js';

const isRoot = process.getuid?.() === 0;
const hasLoop = isRoot && spawnSync('sh', ['-c', 'command -v losetup && command -v mkfs.ext4 && losetup -f'], { stdio: 'ignore' }).status === 0;

let tmp: ReturnType<typeof tempDir>;
const cleanups: (() => void)[] = [];
beforeEach(() => { tmp = tempDir('log-enospc'); });
afterEach(() => {
  for (const undo of cleanups.splice(0).reverse()) {
    try { undo(); } catch { /* best effort: the next undo may still free the mount */ }
  }
  tmp.remove();
});

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function mountTmpfs(name: string, size: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  cleanups.push(() => sh('umount', ['-l', dir]));
  return dir;
}

const record = (i: number, size: number): Buffer => Buffer.from(`record ${i} `.padEnd(size, String.fromCharCode(97 + (i % 26))));

/** Append groups of `perGroup` concurrent records until one group fails; returns what resolved and the failed group's outcomes. */
async function fillUntilFailure(log: Log, perGroup: number, size: number, mode?: 'group' | 'async'): Promise<{ resolved: number[]; failed: PromiseSettledResult<number>[] }> {
  const resolved: number[] = [];
  for (let round = 0; round < 10_000; round++) {
    const base = log.lastLsn + 1;
    const outcomes = await Promise.allSettled(Array.from({ length: perGroup }, (_, i) => log.append(record(base + i, size), mode ? { mode } : undefined)));
    if (outcomes.every((o) => o.status === 'fulfilled')) {
      resolved.push(...outcomes.map((o) => (o as PromiseFulfilledResult<number>).value));
      continue;
    }
    return { resolved, failed: outcomes };
  }
  throw new Error('the disk never filled up');
}

/** The log after a failure: later appends and flush refuse, reads give exactly the durable records. */
async function expectFailedButReadable(log: Log, code: string, durable: number, size: number): Promise<void> {
  await expect(log.append('after the failure')).rejects.toMatchObject({ code: 'ERR_URINGFS_LOG_FAILED', cause: expect.objectContaining({ code }) });
  await expect(log.flush()).rejects.toMatchObject({ code: 'ERR_URINGFS_LOG_FAILED' });
  expect(log.durableLsn).toBe(durable);
  const lsns: number[] = [];
  for await (const r of log.read()) {
    expect(r.data.equals(record(r.lsn, size))).toBe(true);
    lsns.push(r.lsn);
  }
  expect(lsns).toEqual(Array.from({ length: durable }, (_, i) => i + 1));
  await log.close();
}

/** Reopen: every durable record is there, intact; anything after it is a prefix of what failed. */
async function expectRecovered(dir: string, durable: number, size: number, segmentSize: number): Promise<Log> {
  const log = await openLog(dir, { segmentSize, preallocate: false });
  expect(log.lastLsn).toBeGreaterThanOrEqual(durable);
  let n = 0;
  for (const r of log.readSync()) {
    expect(r.lsn).toBe(++n);
    expect(r.data.equals(record(r.lsn, size))).toBe(true);
  }
  expect(n).toBe(log.lastLsn);
  return log;
}

describe.skipIf(!isRoot)('a full disk (tmpfs)', () => {
  it("'group': ENOSPC in a group's writev rejects every append of the group with ENOSPC; reopen recovers", async () => {
    const mnt = mountTmpfs('small', '256k');
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(64 * 1024));
    const dir = join(mnt, 'log');
    const log = await openLog(dir, { mode: 'group', segmentSize: 1 << 20, preallocate: false });
    const { resolved, failed } = await fillUntilFailure(log, 16, 3000);
    expect(resolved.length).toBeGreaterThan(16);
    expect(failed.map((o) => o.status === 'rejected' && (o.reason as { code: string }).code)).toEqual(new Array(16).fill('ENOSPC'));
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ errno: -28, message: expect.stringMatching(/^ENOSPC: no space left on device/) });
    await expectFailedButReadable(log, 'ENOSPC', resolved.at(-1)!, 3000);

    rmSync(join(mnt, 'filler'));
    const again = await expectRecovered(dir, resolved.at(-1)!, 3000, 1 << 20);
    try {
      const next = again.lastLsn + 1;
      expect(await again.append(record(next, 3000))).toBe(next);
      expect(again.durableLsn).toBe(next);
    } finally {
      await again.close();
    }
  });

  it("'group', preallocated: no room for the next segment — the appends waiting for it reject with ENOSPC", async () => {
    const mnt = mountTmpfs('prealloc', '700k');
    const dir = join(mnt, 'log');
    // A few 256 KiB segments fit (tmpfs counts its blocks per CPU, with some slack); then no more.
    const log = await openLog(dir, { mode: 'group', segmentSize: 256 * 1024 });
    const { resolved, failed } = await fillUntilFailure(log, 16, 3000);
    expect(log.stats().rotations).toBeGreaterThanOrEqual(1);
    expect(failed.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toContain('ENOSPC');
    for (const o of failed) if (o.status === 'rejected') expect(['ENOSPC', 'ERR_URINGFS_LOG_FAILED']).toContain(o.reason.code);
    const durable = log.durableLsn;
    expect(durable).toBeGreaterThanOrEqual(resolved.at(-1)!);
    await expectFailedButReadable(log, 'ENOSPC', durable, 3000);
    const again = await expectRecovered(dir, durable, 3000, 256 * 1024);
    await again.close();
  });

  it("'async': a write that finds the disk full rejects its appends with ENOSPC; flush() then fails; reopen keeps every durable record", async () => {
    const mnt = mountTmpfs('async', '256k');
    const dir = join(mnt, 'log');
    const log = await openLog(dir, { mode: 'async', segmentSize: 1 << 20, preallocate: false, flushIntervalMs: 50 });
    const { resolved, failed } = await fillUntilFailure(log, 8, 2000, 'async');
    expect(resolved.length).toBeGreaterThan(8);
    expect(failed.every((o) => o.status === 'rejected' && o.reason.code === 'ENOSPC')).toBe(true);
    const durable = log.durableLsn;
    await expectFailedButReadable(log, 'ENOSPC', durable, 2000);
    const again = await expectRecovered(dir, durable, 2000, 1 << 20);
    // Nothing was lost here (no crash): every append that resolved is in the page cache still.
    expect(again.lastLsn).toBeGreaterThanOrEqual(resolved.at(-1)!);
    await again.close();
  });
});

describe.skipIf(!hasLoop)('fdatasync failing (ext4 on a loop device backed by a small tmpfs)', () => {
  it("'group': the write succeeds, the fdatasync fails — the group rejects with its error; after remount only durable records are counted on", async () => {
    const backing = mountTmpfs('backing', '6m');
    const image = join(backing, 'ext4.img');
    sh('truncate', ['-s', '64M', image]);
    sh('mkfs.ext4', ['-q', '-E', 'lazy_itable_init=1,lazy_journal_init=1', image]);
    const device = sh('losetup', ['-f', '--show', image]).trim();
    cleanups.push(() => sh('losetup', ['-d', device]));
    const mnt = join(tmp.dir, 'ext4');
    mkdirSync(mnt);
    sh('mount', [device, mnt]);
    let mounted = true;
    cleanups.push(() => { if (mounted) sh('umount', ['-l', mnt]); });

    const dir = join(mnt, 'log');
    const log = await openLog(dir, { mode: 'group', segmentSize: 32 << 20, preallocate: false });
    const { resolved, failed } = await fillUntilFailure(log, 16, 60_000);  // 16 × 60 KB: one group
    expect(resolved.length).toBeGreaterThan(0);
    const codes = failed.map((o) => o.status === 'rejected' && (o.reason as { code: string; syscall: string }).code);
    expect(new Set(codes).size).toBe(1);
    expect(['ENOSPC', 'EIO']).toContain(codes[0]);
    expect((failed[0] as PromiseRejectedResult).reason.syscall).toBe('fdatasync');
    const durable = log.durableLsn;
    expect(durable).toBe(resolved.at(-1));
    await log.close();

    // What the kernel could not write back is gone once the page cache is: unmount, give the
    // image room, repair, mount again, and reopen from what reached the "disk".
    sh('umount', [mnt]);
    mounted = false;
    sh('mount', ['-o', 'remount,size=96m', backing]);
    spawnSync('e2fsck', ['-fy', image], { stdio: 'ignore' });
    sh('mount', [device, mnt]);
    mounted = true;
    const again = await expectRecovered(dir, durable, 60_000, 32 << 20);
    await again.close();
  });
});
