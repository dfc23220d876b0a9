// The syscalls of the thread-pool backend, each made to give the result
// io_uring gives for the same op (see DESIGN.md, "Kernel behaviour"):
// - an offset on a pipe, FIFO or socket is ignored (pread would say ESPIPE);
// - a non-blocking pipe or socket that is not ready is waited for (read
//   would say EAGAIN), as io_uring arms a poll and retries;
// - position -1 uses and moves the file position.
#include "thread_ops.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>

namespace uringfs {
namespace {

void OnWakeSignal(int) {}

bool IsReadWrite(ThreadOpKind k) {
  return k == ThreadOpKind::Read || k == ThreadOpKind::Write || k == ThreadOpKind::Readv || k == ThreadOpKind::Writev;
}

// Bytes a read/write op asks for.
uint64_t RequestedBytes(const ThreadOp& op) {
  if (op.kind == ThreadOpKind::Read || op.kind == ThreadOpKind::Write) return op.length;
  uint64_t total = 0;
  auto* iov = static_cast<const struct iovec*>(op.buffer);
  for (uint64_t i = 0; i < op.length; i++) total += iov[i].iov_len;
  return total;
}

// Retry on EINTR unless tearing down (then the result is discarded anyway).
template <typename F>
int64_t Retrying(const std::atomic<bool>& stopping, F f) {
  for (;;) {
    int64_t r = f();
    if (r >= 0) return r;
    if (errno != EINTR || stopping.load()) return -errno;
  }
}

}  // namespace

int32_t ExecuteOp(const ThreadOp& op, const std::atomic<bool>& stopping) {
  switch (op.kind) {
    case ThreadOpKind::Read: case ThreadOpKind::Write: case ThreadOpKind::Readv: case ThreadOpKind::Writev: {
      bool write_op = op.kind == ThreadOpKind::Write || op.kind == ThreadOpKind::Writev;
      bool vector = op.kind == ThreadOpKind::Readv || op.kind == ThreadOpKind::Writev;
      auto* iov = static_cast<const struct iovec*>(op.buffer);
      int n = static_cast<int>(op.length);
      size_t len = static_cast<size_t>(op.length);
      bool positioned = op.position != -1;
      for (;;) {
        int64_t r = Retrying(stopping, [&]() -> int64_t {
          if (positioned) {
            if (vector) return write_op ? pwritev(op.fd, iov, n, op.position) : preadv(op.fd, iov, n, op.position);
            return write_op ? pwrite(op.fd, op.buffer, len, op.position) : pread(op.fd, op.buffer, len, op.position);
          }
          if (vector) return write_op ? writev(op.fd, iov, n) : readv(op.fd, iov, n);
          return write_op ? write(op.fd, op.buffer, len) : read(op.fd, op.buffer, len);
        });
        if (r == -ESPIPE && positioned && op.position >= 0) {
          // io_uring ignores the offset of a pipe, FIFO or socket.
          positioned = false;
          continue;
        }
        if (r == -EAGAIN && !stopping.load()) {
          // io_uring waits for a non-blocking pipe or socket to become
          // ready instead of failing with EAGAIN; so do we.
          struct pollfd p = {op.fd, static_cast<short>(write_op ? POLLOUT : POLLIN), 0};
          int pr = poll(&p, 1, -1);
          if (pr > 0 && !(p.revents & POLLNVAL)) continue;
          if (pr < 0 && errno == EINTR && !stopping.load()) continue;
        }
        return static_cast<int32_t>(r);
      }
    }
    case ThreadOpKind::Open:
      return static_cast<int32_t>(Retrying(stopping, [&] {
        return openat(AT_FDCWD, op.path, op.flags | O_CLOEXEC, op.mode);
      }));
    case ThreadOpKind::Close:
      // Not retried on EINTR: Linux releases the fd either way.
      return close(op.fd) < 0 ? -errno : 0;
    case ThreadOpKind::Fsync:
      return static_cast<int32_t>(Retrying(stopping, [&] { return op.flags ? fdatasync(op.fd) : fsync(op.fd); }));
    case ThreadOpKind::Statx:
      return static_cast<int32_t>(Retrying(stopping, [&] {
        return statx(op.fd, op.path, op.flags, op.mode, static_cast<struct statx*>(op.buffer));
      }));
    case ThreadOpKind::Unlink:
      return static_cast<int32_t>(Retrying(stopping, [&] { return unlinkat(AT_FDCWD, op.path, op.flags); }));
    case ThreadOpKind::Rename:
      return static_cast<int32_t>(Retrying(stopping, [&] { return renameat(AT_FDCWD, op.path, AT_FDCWD, op.path2); }));
    case ThreadOpKind::Mkdir:
      return static_cast<int32_t>(Retrying(stopping, [&] { return mkdirat(AT_FDCWD, op.path, op.mode); }));
    case ThreadOpKind::Nop:
      return 0;
  }
  return -EINVAL;
}

bool BreaksLink(const ThreadOp& op, int32_t result) {
  return result < 0 || (IsReadWrite(op.kind) && static_cast<uint64_t>(result) < RequestedBytes(op));
}

// A real-time signal nothing in Node uses; its handler does nothing, and
// without SA_RESTART a syscall it interrupts returns EINTR.
int WakeSignal() { return SIGRTMAX - 3; }

bool InstallWakeHandler() {
  struct sigaction current {};
  if (sigaction(WakeSignal(), nullptr, &current) != 0) return false;
  if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == OnWakeSignal) return true;
  if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) return false;
  struct sigaction wanted {};
  wanted.sa_handler = OnWakeSignal;
  sigemptyset(&wanted.sa_mask);
  wanted.sa_flags = 0;  // no SA_RESTART
  return sigaction(WakeSignal(), &wanted, nullptr) == 0;
}

}  // namespace uringfs
