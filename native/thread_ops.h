// One operation of the thread-pool backend (native/threads.cc) and the
// blocking syscall that carries it out on a worker thread.
#pragma once
#include <atomic>
#include <climits>
#include <cstdint>

namespace uringfs {

enum class ThreadOpKind : uint8_t { Read, Write, Readv, Writev, Open, Close, Fsync, Ftruncate, Statx, Unlink, Rename, Mkdir, Link, Symlink, Nop, ReadWhole };

// Every pointer is into memory lib/ pins until the op's completion arrives.
struct ThreadOp {
  ThreadOpKind kind = ThreadOpKind::Nop;
  bool linked = false;  // the next op runs only if this one succeeds
  uint32_t id = 0;
  int fd = -1;          // the file, or the dirfd of statx
  int flags = 0;        // open/statx/unlink flags, datasync for fsync
  unsigned mode = 0;    // open/mkdir mode, statx mask
  void* buffer = nullptr;  // data, iovec array, or statx output
  uint64_t length = 0;     // bytes, iovec count, or ftruncate's length
  int64_t position = -1;   // -1: the current file position
  const char* path = nullptr;
  const char* path2 = nullptr;
  int32_t* status = nullptr;  // ReadWhole: [stage, handed-over fd]
  uint64_t seq = 0;  // order of queueing: a close waits for earlier ops on its fd
};

// ExecuteOp's answer for a read or write on a pipe, FIFO, socket or other
// pollable file that is not ready: poll for PollEventsFor(op), then retry.
constexpr int32_t kNotReady = INT32_MIN;

// ReadWhole: open + fstat + read + close of one file on a worker, the whole
// of readFiles' per-file work in one hand-off. Returns the bytes read (fd
// closed), -errno with the failing stage in status[0], or kHandedOver with
// the fd (left open) in status[1] and in *handed_fd: a file this op does not
// read by itself (not regular, size 0 or larger than the buffer), for lib/ to
// carry on with ordinary ops.
constexpr int32_t kHandedOver = -(1 << 30);  // lib/readfiles.ts HANDED_OVER
enum ReadWholeStage : int32_t { kStageOpen, kStageFstat, kStageRead, kStageClose };
int32_t ReadWholeFile(const ThreadOp& op, const std::atomic<bool>& stopping, int* handed_fd);

// Runs `op` with a syscall and returns what io_uring would for the same op:
// the result, -errno, or kNotReady. EINTR is retried unless `stopping`.
int32_t ExecuteOp(const ThreadOp& op, const std::atomic<bool>& stopping);
short PollEventsFor(const ThreadOp& op);

// Whether `result` fails a link, as in io_uring: an error, or fewer bytes
// than asked for by a read or write.
bool BreaksLink(const ThreadOp& op, int32_t result);

// The signal that interrupts a worker blocked in a syscall (an empty pipe or
// FIFO) at teardown, and its installation: false when the signal already
// has another owner (then blocked workers cannot be interrupted).
int WakeSignal();
bool InstallWakeHandler();

}  // namespace uringfs
