// The syscalls of the thread-pool backend, each made to give the result
// io_uring gives for the same op (see DESIGN.md, "Kernel behaviour"):
// - an offset on a pipe, FIFO or socket is ignored (pread would say ESPIPE);
// - a pipe or socket that is not ready (read would block, or say EAGAIN on
//   an O_NONBLOCK fd) is waited for without holding a worker: ExecuteOp
//   says kNotReady and the pool parks the op until poll(2) says ready, as
//   io_uring arms a poll and retries;
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
#include <vector>

namespace uringfs {
namespace {

void OnWakeSignal(int) {}

bool IsReadWrite(ThreadOpKind k) {
  return k == ThreadOpKind::Read || k == ThreadOpKind::Write || k == ThreadOpKind::Readv || k == ThreadOpKind::Writev;
}

// The most bytes one read or write moves (MAX_RW_COUNT; common.h kMaxRwCount).
constexpr uint64_t kMaxTransfer = 0x7ffff000;

// Bytes a read/write op asks for: what a complete transfer returns.
uint64_t RequestedBytes(const ThreadOp& op) {
  if (op.kind == ThreadOpKind::Read || op.kind == ThreadOpKind::Write) return op.length;
  uint64_t total = 0;
  auto* iov = static_cast<const struct iovec*>(op.buffer);
  for (uint64_t i = 0; i < op.length; i++) total += iov[i].iov_len;
  return total < kMaxTransfer ? total : kMaxTransfer;
}

// Retry on EINTR, unless tearing down: then the syscall was cut short on
// purpose (the wake signal) and reports -ECANCELED, as a cancelled io_uring
// op does.
template <typename F>
int64_t Retrying(const std::atomic<bool>& stopping, F f) {
  for (;;) {
    int64_t r = f();
    if (r >= 0) return r;
    if (errno != EINTR) return -errno;
    if (stopping.load()) return -ECANCELED;
  }
}

// Whether a would-block answer means "wait for readiness": pipes, FIFOs,
// sockets, character devices; not regular files, directories, block devices.
bool IsPollable(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  return !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode));
}

// After a non-blocking attempt on a regular file moved `done` bytes (what was
// in the page cache), the rest with blocking calls: a regular file's read is
// short only at EOF, and io_uring finishes such a read itself. Stops at EOF (0)
// or an error, returning what was moved by then (as read(2) would report a
// partial transfer). `position` -1 continues at the file position, which the
// calls before moved.
int64_t FinishBlocking(const ThreadOp& op, bool write_op, const struct iovec* iov, int count, off_t position,
                       uint64_t done, const std::atomic<bool>& stopping) {
  std::vector<struct iovec> rest(iov, iov + count);
  size_t first = 0;
  uint64_t skip = done;
  auto advance = [&](uint64_t n) {
    while (first < rest.size() && n >= rest[first].iov_len) n -= rest[first++].iov_len;
    if (first < rest.size()) {
      rest[first].iov_base = static_cast<uint8_t*>(rest[first].iov_base) + n;
      rest[first].iov_len -= n;
    }
  };
  advance(skip);
  // Never more in all than one read(2) would move (the result is an int32).
  auto trim = [&]() {
    uint64_t budget = kMaxTransfer - done;
    for (size_t i = first; i < rest.size(); i++) {
      if (rest[i].iov_len >= budget) {
        rest[i].iov_len = budget;
        rest.resize(i + 1);
        break;
      }
      budget -= rest[i].iov_len;
    }
  };
  trim();
  while (first < rest.size() && done < kMaxTransfer) {
    off_t at = position < 0 ? -1 : position + static_cast<off_t>(done);
    int n = static_cast<int>(rest.size() - first);
    int64_t r = Retrying(stopping, [&]() -> int64_t {
      return write_op ? pwritev2(op.fd, rest.data() + first, n, at, 0) : preadv2(op.fd, rest.data() + first, n, at, 0);
    });
    if (r <= 0) break;
    done += static_cast<uint64_t>(r);
    advance(static_cast<uint64_t>(r));
  }
  return static_cast<int64_t>(done);
}

}  // namespace

short PollEventsFor(const ThreadOp& op) {
  return op.kind == ThreadOpKind::Write || op.kind == ThreadOpKind::Writev ? POLLOUT : POLLIN;
}

int32_t ExecuteOp(const ThreadOp& op, const std::atomic<bool>& stopping) {
  switch (op.kind) {
    case ThreadOpKind::Read: case ThreadOpKind::Write: case ThreadOpKind::Readv: case ThreadOpKind::Writev: {
      bool write_op = op.kind == ThreadOpKind::Write || op.kind == ThreadOpKind::Writev;
      bool vector = op.kind == ThreadOpKind::Readv || op.kind == ThreadOpKind::Writev;
      struct iovec single = {op.buffer, static_cast<size_t>(op.length)};
      auto* iov = vector ? static_cast<const struct iovec*>(op.buffer) : &single;
      int count = vector ? static_cast<int>(op.length) : 1;
      off_t position = op.position;
      // First without blocking, as io_uring does: a pipe or socket that is
      // not ready must not hold a worker (the caller parks the op until
      // poll says ready); a regular file just gets a blocking call.
      int flags = RWF_NOWAIT;
      for (;;) {
        int64_t r = Retrying(stopping, [&]() -> int64_t {
          return write_op ? pwritev2(op.fd, iov, count, position, flags) : preadv2(op.fd, iov, count, position, flags);
        });
        if (r == -ESPIPE && position >= 0) {
          position = -1;  // io_uring ignores the offset of a pipe, FIFO or socket
          continue;
        }
        if (flags != 0 && r == -EOPNOTSUPP) {
          // No non-blocking mode for this file (FIFOs, ttys, buffered ext4
          // writes, /proc...). A pollable one is asked whether it is ready;
          // another reader may still win the race, and then this worker
          // blocks until more data comes (teardown can interrupt it).
          flags = 0;
          if (IsPollable(op.fd)) {
            struct pollfd p = {op.fd, PollEventsFor(op), 0};
            if (poll(&p, 1, 0) == 0) return kNotReady;
          }
          continue;
        }
        if (r == -EAGAIN && flags != 0 && !IsPollable(op.fd)) {
          flags = 0;  // a regular file whose data is not cached yet
          continue;
        }
        if (r == -EAGAIN) return kNotReady;
        if (flags != 0 && r > 0 && static_cast<uint64_t>(r) < RequestedBytes(op) && !IsPollable(op.fd)) {
          // A regular file partly in the page cache (the fstat only on this uncommon path).
          r = FinishBlocking(op, write_op, iov, count, position, static_cast<uint64_t>(r), stopping);
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
    case ThreadOpKind::Ftruncate:
      return static_cast<int32_t>(Retrying(stopping, [&] { return ftruncate(op.fd, static_cast<off_t>(op.length)); }));
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
    case ThreadOpKind::Link:
      return static_cast<int32_t>(Retrying(stopping, [&] { return linkat(AT_FDCWD, op.path, AT_FDCWD, op.path2, 0); }));
    case ThreadOpKind::Symlink:
      return static_cast<int32_t>(Retrying(stopping, [&] { return symlinkat(op.path, AT_FDCWD, op.path2); }));
    case ThreadOpKind::Nop:
      return 0;
    case ThreadOpKind::ReadWhole:
      return -EINVAL;  // ReadWholeFile, which can hand over an fd
  }
  return -EINVAL;
}

int32_t ReadWholeFile(const ThreadOp& op, const std::atomic<bool>& stopping, int* handed_fd) {
  auto failed = [&](ReadWholeStage stage, int64_t r) {
    op.status[0] = stage;
    return static_cast<int32_t>(r);
  };
  int fd = static_cast<int>(Retrying(stopping, [&] { return openat(AT_FDCWD, op.path, op.flags | O_CLOEXEC, op.mode); }));
  if (fd < 0) return failed(kStageOpen, fd);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return failed(kStageFstat, -err);
  }
  // (The byte count must fit the int32 result: never more than one read gives.)
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 || static_cast<uint64_t>(st.st_size) > op.length || st.st_size > 0x7ffff000) {
    // Not ours to read (a FIFO may already hold a writer's data, so the fd is
    // handed over rather than closed and reopened).
    op.status[1] = fd;
    *handed_fd = fd;
    return kHandedOver;
  }
  // Up to the size fstat gave, as readFileSync does: a file that grows
  // meanwhile is read as it was; one that shrinks, up to its new end.
  auto* data = static_cast<uint8_t*>(op.buffer);
  size_t size = static_cast<size_t>(st.st_size), filled = 0;
  while (filled < size) {
    int64_t n = Retrying(stopping, [&] { return pread(fd, data + filled, size - filled, static_cast<off_t>(filled)); });
    if (n < 0) {
      close(fd);
      return failed(kStageRead, n);
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  // Not retried on EINTR: Linux releases the fd either way.
  if (close(fd) != 0 && errno != EINTR) return failed(kStageClose, -errno);
  return static_cast<int32_t>(filled);
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
