// scripts/setup.mjs, run first by `npm test` and `npm run bench`: on a machine without liburing's
// headers, a user who is not root gets one line naming the exact install command, and exit 1.
// The machine is made to lack them in a private mount namespace (an empty /usr/include), so
// this needs root and unshare(1); it runs the script as the unprivileged user 'nobody'.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot as root } from './fixtures/helpers.js';

const canHide = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v unshare && command -v setpriv'], { stdio: 'ignore' }).status === 0;

describe('scripts/setup.mjs', () => {
  it.skipIf(!canHide)('as a normal user without liburing: one line with the exact command, exit 1', () => {
    // The scripts, in a directory 'nobody' can read (a clone may sit in a private one).
    const dir = mkdtempSync(join(tmpdir(), 'uringfs-setup-'));
    chmodSync(dir, 0o755);
    cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
    const script = [
      'mount -t tmpfs none /usr/include',
      `exec setpriv --reuid=65534 --regid=65534 --clear-groups ${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, 'scripts', 'setup.mjs'))}`,
    ].join(' && ');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^uringfs setup: a source build needs liburing-dev, which this machine lacks\. Run: sudo apt-get install -y liburing-dev$/);
  });
});
