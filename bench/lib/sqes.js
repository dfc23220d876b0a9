// SQEs consumed so far by every io_uring instance in this process, read from
// /proc/self/fdinfo. It shows whether libuv (UV_USE_IO_URING=1) really put fs
// ops on a ring, and how many SQEs an op cost.
import fs from 'node:fs';

export function ioUringSqes() {
  let total = 0;
  let rings = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:[io_uring]') continue;
      const m = /SqHead:\s*(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (m) {
        total += Number(m[1]);
        rings++;
      }
    } catch {
      // the fd was closed while we listed
    }
  }
  return { total, rings };
}
