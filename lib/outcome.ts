// Results of ops that stand alone (a batch's entries): the value an op's
// result means, or the Node-style error, from the op record alone — no
// generator, no closure per op.
import { AT_SYMLINK_NOFOLLOW, type Op, OpCode } from './op.js';
import { resultError } from './ring.js';
import { makeStats } from './stats.js';

/** The syscall name node:fs reports for an op. */
export function syscallOf(op: Op): string {
  switch (op.code) {
    case OpCode.Read: case OpCode.Readv: return 'read';
    case OpCode.Write: case OpCode.Writev: return 'write';
    case OpCode.Open: return 'open';
    case OpCode.Close: return 'close';
    case OpCode.Fsync: return op.flags === 1 ? 'fdatasync' : 'fsync';
    case OpCode.Ftruncate: return 'ftruncate';
    case OpCode.Statx: return op.path === null ? 'fstat' : (op.flags & AT_SYMLINK_NOFOLLOW) !== 0 ? 'lstat' : 'stat';
    case OpCode.Unlink: return 'unlink';
    case OpCode.Rename: return 'rename';
    case OpCode.Mkdir: return 'mkdir';
    case OpCode.Link: return 'link';
    case OpCode.Symlink: return 'symlink';
    case OpCode.Nop: return 'nop';
    case OpCode.ReadWhole: return 'open';  // lib/readfiles.ts names the failing stage itself
    case OpCode.ReadFiles: return 'open';  // likewise
    case OpCode.Records: return 'read';  // lib/batch.ts gives each record its own outcome
  }
}

/** The value of a successful op: a count, an fd, Stats, or undefined. */
export function opValue(op: Op, result: number): unknown {
  switch (op.code) {
    case OpCode.Read: case OpCode.Readv: case OpCode.Write: case OpCode.Writev: case OpCode.Open:
      return result;
    case OpCode.Statx:
      return makeStats(op.scratch!, op.bigint);
    default:
      return undefined;
  }
}

export function opError(op: Op, result: number): Error {
  return resultError(result, syscallOf(op), op.userPath, op.userDest);
}
