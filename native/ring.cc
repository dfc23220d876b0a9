// The io_uring backend: one liburing ring, an eventfd registered with it, and
// a uv_poll watching that eventfd on the environment's own loop. JS queues
// ops (each fills one SQE, no syscall), flushes once per JS turn (one
// io_uring_enter), and receives completions in batches through a shared
// Int32Array of [id, result] pairs and one JS call per drain.
//
// Per-op memory (data buffers, paths, iovec arrays, statx output) is owned and
// pinned by lib/ring.ts until the op's completion arrives. This object only
// guarantees that no completion is outstanding when that memory can go away:
// close() and the environment cleanup hook cancel, then wait for every CQE.
#include <fcntl.h>
#include <liburing.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "common.h"
#include "completion_port.h"
#include "file_group.h"

namespace uringfs {
namespace {

// user_data of the SQEs the ring issues for itself (cancels on teardown):
// everything from kFirstInternalOp up. Ops' ids are below 2^31.
constexpr uint64_t kCancelAny = UINT64_MAX;
constexpr uint64_t kCancelOne = UINT64_MAX - 1;
constexpr uint64_t kFirstInternalOp = kCancelOne;
// By op id: what the ring knows of the op (op_state_).
constexpr uint8_t kIdle = 0, kInFlight = 1, kOpenInFlight = 2;
// A teardown still waiting after this long cancels again what is left (an
// op a link started after the last cancel went by).
constexpr long long kRecancelNs = 100 * 1000 * 1000;


class Ring : public Napi::ObjectWrap<Ring>, private CompletionPort::Owner, private SqeSource {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Ring(const Napi::CallbackInfo& info);
  ~Ring() override { Teardown(); }

 private:
  // Queue methods: each fills one SQE and returns 1, 0 when the SQ stayed
  // full even after a submit (lib/ retries later), or -errno for bad input.
  Napi::Value QueueRead(const Napi::CallbackInfo& info) { return QueueRW(info, IORING_OP_READ); }
  Napi::Value QueueWrite(const Napi::CallbackInfo& info) { return QueueRW(info, IORING_OP_WRITE); }
  Napi::Value QueueReadv(const Napi::CallbackInfo& info) { return QueueRWV(info, IORING_OP_READV); }
  Napi::Value QueueWritev(const Napi::CallbackInfo& info) { return QueueRWV(info, IORING_OP_WRITEV); }
  Napi::Value QueueRW(const Napi::CallbackInfo& info, int opcode);
  Napi::Value QueueRWV(const Napi::CallbackInfo& info, int opcode);
  Napi::Value QueueOpen(const Napi::CallbackInfo& info);
  Napi::Value QueueClose(const Napi::CallbackInfo& info);
  Napi::Value QueueFsync(const Napi::CallbackInfo& info);
  Napi::Value QueueFtruncate(const Napi::CallbackInfo& info);
  Napi::Value QueueStatx(const Napi::CallbackInfo& info);
  Napi::Value QueueUnlink(const Napi::CallbackInfo& info);
  Napi::Value QueueRename(const Napi::CallbackInfo& info);
  Napi::Value QueueMkdir(const Napi::CallbackInfo& info);
  Napi::Value QueueLink(const Napi::CallbackInfo& info);
  Napi::Value QueueSymlink(const Napi::CallbackInfo& info);
  Napi::Value QueueTwoPaths(const Napi::CallbackInfo& info, void (*prep)(io_uring_sqe*, const char*, const char*));
  Napi::Value QueueNop(const Napi::CallbackInfo& info);
  Napi::Value QueueReadFiles(const Napi::CallbackInfo& info);
  Napi::Value QueueRecords(const Napi::CallbackInfo& info);
  Napi::Value TakeFiles(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value SetSqeFlags(const Napi::CallbackInfo& info);
  Napi::Value SettleFd(const Napi::CallbackInfo& info);
  Napi::Value Reserve(const Napi::CallbackInfo& info);
  Napi::Value WaitCompletions(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  Napi::Value RegisterFiles(const Napi::CallbackInfo& info);
  Napi::Value UpdateFile(const Napi::CallbackInfo& info);
  Napi::Value RegisterBuffers(const Napi::CallbackInfo& info);
  Napi::Value UnregisterBuffers(const Napi::CallbackInfo& info);

  io_uring_sqe* NextSqe();
  // SqeSource, for the file groups: SQEs without the flags JS ops get.
  bool Reserve(unsigned count) override;
  io_uring_sqe* Sqe() override;
  // A CQE of a file group; then, after the CQ head moved, each group's next
  // steps, and a pair in `out` for each group that finished (room allowing).
  void OnGroupCqe(const io_uring_cqe* cqe);
  void OnRecordCqe(const io_uring_cqe* cqe);
  void CompoundOpStarted(uint32_t id);
  void CompoundOpDone(uint32_t id);
  unsigned AdvanceGroups(int32_t* out, unsigned n, unsigned cap);
  unsigned ReapInto(int32_t* out, unsigned cap, unsigned* seen);
  Napi::Value Queued(Napi::Env env, io_uring_sqe* sqe, uint32_t id, uint64_t write_at_cur_pos = 0);
  void MoveCurPosAfterShortWrite(const io_uring_cqe* cqe);
  struct CurPosWrite;
  void MoveCurPosAfterShortWrite(const CurPosWrite& w, int32_t res);
  int Submit();
  void Drain();
  // Cancel, wait for every CQE, free. With `out`, the results of the ops that
  // were pending are copied there as [id, res] pairs (at most `cap`).
  unsigned Teardown(int32_t* out = nullptr, unsigned cap = 0);
  // Teardown without closing the port and the eventfd: stop the ring, and
  // write the pending ops' results into `out`.
  unsigned Stop(int32_t* out, unsigned cap);
  unsigned FinishAbandonedGroups(int32_t* out, unsigned cap, unsigned delivered);
  // Stop a ring whose own fd is gone: nothing can enter it any more.
  unsigned StopWithoutFd(int32_t* out, unsigned cap);
  // Forget the numbers that no longer name the ring's files (never used again).
  void ForgetFdsNotOurs();
  void OnWatchdog() override;
  void CancelInFlight();
  io_uring_sqe* TeardownSqe();
  void OnReadable() override;
  void OnEnvironmentTeardown() override {
    port_.CloseUntakenFds();
    Teardown();
    finished_groups_.clear();
  }
  // The fd an open's CQE carries, or -1.
  int OpenedFd(const io_uring_cqe* cqe) const {
    return cqe->res >= 0 && cqe->user_data < op_state_.size() && op_state_[cqe->user_data] == kOpenInFlight ? cqe->res : -1;
  }

  io_uring ring_{};
  FileId ring_file_;  // what ring_.ring_fd and eventfd_ referred to when made
  FileId event_file_;
  bool open_ = false;
  bool closing_ = false;
  int eventfd_ = -1;
  CompletionPort port_;
  napi_env env_ = nullptr;
  uint8_t sqe_flags_ = 0;  // applied to every SQE queued (IOSQE_IO_LINK for chains)
  bool probe_stream_ = false;  // kProbeStreamFlag: reads and writes queued now are node:fs-shaped
  SeekableFds seekable_;  // what probes found since the last submit (ProbeStream)
  // With DEFER_TASKRUN, completions are posted only when this thread asks
  // (io_uring_get_events); the eventfd fires while the CQ is still empty.
  bool defer_taskrun_ = false;
  bool sqpoll_ = false;
  // Test hook, from URINGFS_TEST_CANCEL_ANY_EINVAL=1 when the ring is made:
  // the teardown's cancel-any goes with a flag bit no kernel knows, so that
  // this kernel refuses it with EINVAL as kernels before 5.19 refuse
  // IORING_ASYNC_CANCEL_ANY — the op-by-op path runs as it would there.
  bool cancel_any_refused_for_test_ = false;
  // The kernel refused IORING_ASYNC_CANCEL_ANY (EINVAL): cancel op by op.
  bool cancel_any_refused_ = false;
  // The registered buffers, as the kernel was given them: a READ_FIXED or
  // WRITE_FIXED is issued only for a range that lies inside one of them.
  std::vector<iovec> fixed_buffers_;
  // By op id: kIdle, kInFlight, or kOpenInFlight — an open, whose fd an
  // environment teardown closes (no JS is left to receive it). A teardown
  // that cannot cancel everything at once cancels the ops in flight one by one.
  std::vector<uint8_t> op_state_;
  // By op id: a write or writev at the current position (offset -1) on a plain
  // fd, with the bytes it asked for (0 for every other op). See
  // MoveCurPosAfterShortWrite.
  struct CurPosWrite {
    int fd = -1;
    uint64_t length = 0;
  };
  std::vector<CurPosWrite> cur_pos_writes_;
  // Whole-file reads under way (few at a time), and those finished whose
  // output lib/ has not taken yet (TakeFiles), by key.
  std::vector<std::unique_ptr<FileGroup>> groups_;
  std::vector<std::unique_ptr<FileGroup>> finished_groups_;
  // Batches of reads and writes handed down as records (QueueRecords): one
  // op for lib/, an SQE per record, each result written into `results`.
  struct RecordBatch {
    uint32_t id, key, count, remaining;
    int32_t* results;
    std::vector<std::pair<uint32_t, CurPosWrite>> writes_at_cur_pos;  // by record index
  };
  std::vector<RecordBatch> record_batches_;
  // A finished group's rooms, for the next group (hot pages, no faults).
  uint8_t* spare_landing_ = nullptr;
  void KeepLanding(uint8_t* landing) {
    if (spare_landing_ == nullptr) spare_landing_ = landing;
    else FileGroup::FreeLanding(landing);
  }
  // Files of one group in flight at once: its SQEs (at most two per file)
  // stay well within the CQ that lib/ shares with other ops.
  unsigned group_window_ = 1;
};

Napi::Function Ring::Define(Napi::Env env) {
  return DefineClass(env, "Ring", {
    InstanceMethod<&Ring::QueueRead>("read"),
    InstanceMethod<&Ring::QueueWrite>("write"),
    InstanceMethod<&Ring::QueueReadv>("readv"),
    InstanceMethod<&Ring::QueueWritev>("writev"),
    InstanceMethod<&Ring::QueueOpen>("open"),
    InstanceMethod<&Ring::QueueClose>("close"),
    InstanceMethod<&Ring::QueueFsync>("fsync"),
    InstanceMethod<&Ring::QueueFtruncate>("ftruncate"),
    InstanceMethod<&Ring::QueueStatx>("statx"),
    InstanceMethod<&Ring::QueueUnlink>("unlink"),
    InstanceMethod<&Ring::QueueRename>("rename"),
    InstanceMethod<&Ring::QueueMkdir>("mkdir"),
    InstanceMethod<&Ring::QueueLink>("link"),
    InstanceMethod<&Ring::QueueSymlink>("symlink"),
    InstanceMethod<&Ring::QueueNop>("nop"),
    InstanceMethod<&Ring::QueueReadFiles>("readFiles"),
    InstanceMethod<&Ring::QueueRecords>("records"),
    InstanceMethod<&Ring::TakeFiles>("takeFiles"),
    InstanceMethod<&Ring::Flush>("flush"),
    InstanceMethod<&Ring::SetSqeFlags>("setSqeFlags"),
    InstanceMethod<&Ring::SettleFd>("settleFd"),
    InstanceMethod<&Ring::Reserve>("reserve"),
    InstanceMethod<&Ring::WaitCompletions>("waitCompletions"),
    InstanceMethod<&Ring::Close>("shutdown"),
    InstanceMethod<&Ring::Counters>("counters"),
    InstanceMethod<&Ring::RegisterFiles>("registerFiles"),
    InstanceMethod<&Ring::UpdateFile>("updateFile"),
    InstanceMethod<&Ring::RegisterBuffers>("registerBuffers"),
    InstanceMethod<&Ring::UnregisterBuffers>("unregisterBuffers"),
  });
}

// new Ring(entries, setupFlags, sqThreadIdleMs, onCompletions(count))
// Throws an Error with `errno` (negative) and `syscall` when setup fails, so
// lib/ can explain why (seccomp, io_uring_disabled, RLIMIT_MEMLOCK...) or
// retry without optional flags.
Ring::Ring(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ring>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  unsigned entries = info[0].As<Napi::Number>().Uint32Value();
  unsigned wanted = info[1].As<Napi::Number>().Uint32Value();
  unsigned sq_thread_idle = info[2].As<Napi::Number>().Uint32Value();
  auto fail = [&](int err, const char* syscall) { ThrowSyscallError(env, err, syscall); };

  // Completions are capped by lib/ at the CQ size, so a CQ four times the SQ
  // lets several full submits be in flight without overflow.
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | wanted;
  params.cq_entries = entries * 4;
  params.sq_thread_idle = sq_thread_idle;
  int r = io_uring_queue_init_params(entries, &ring_, &params);
  if (r < 0) { fail(r, "io_uring_setup"); return; }
  open_ = true;
  ring_file_ = FileId::Of(ring_.ring_fd);
  // fork() without exec must not share the rings with the child.
  io_uring_ring_dontfork(&ring_);

  eventfd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (eventfd_ < 0) { int e = -errno; Teardown(); fail(e, "eventfd"); return; }
  event_file_ = FileId::Of(eventfd_);
  r = io_uring_register_eventfd(&ring_, eventfd_);
  if (r < 0) { Teardown(); fail(r, "io_uring_register"); return; }

  const char* hook = getenv("URINGFS_TEST_CANCEL_ANY_EINVAL");
  cancel_any_refused_for_test_ = hook != nullptr && strcmp(hook, "1") == 0;
  defer_taskrun_ = (params.flags & IORING_SETUP_DEFER_TASKRUN) != 0;
  sqpoll_ = (params.flags & IORING_SETUP_SQPOLL) != 0;
  // The eventfd's number may be one libuv still watches for a handle of its
  // own (closed behind that handle's back, then reused): move the eventfd to
  // another number until libuv takes it (the ring holds the eventfd itself).
  std::vector<int> refused;
  CompletionPort::OpenResult opened;
  while ((opened = port_.Open(env, info.This().As<Napi::Object>(), "uringfs:ring", eventfd_, params.cq_entries,
                              info[3].As<Napi::Function>(), this)) == CompletionPort::kFdWatched) {
    int moved = refused.size() < 64 ? fcntl(eventfd_, F_DUPFD_CLOEXEC, 3) : -1;
    if (moved < 0) {
      int e = refused.size() < 64 ? -errno : -EEXIST;
      for (int fd : refused) close(fd);
      Teardown();
      fail(e, "uv_poll_init");
      return;
    }
    refused.push_back(eventfd_);
    eventfd_ = moved;
  }
  for (int fd : refused) close(fd);
  if (opened == CompletionPort::kNoJs) {
    // The environment is being torn down (a worker terminated): no JS is left to use the ring.
    Teardown();
    return;
  }

  group_window_ = std::max(1u, std::min(64u, params.cq_entries / 8));
  SetNumbers(env, info.This(), {{"sqEntries", params.sq_entries}, {"cqEntries", params.cq_entries},
                                {"setupFlags", params.flags & ~IORING_SETUP_CQSIZE}, {"features", params.features},
                                {"groupWindow", group_window_}});
}

// The next free SQE; when the SQ is full, submit what is queued to make room.
io_uring_sqe* Ring::NextSqe() {
  if (!open_ || closing_) return nullptr;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr && Submit() >= 0) sqe = io_uring_get_sqe(&ring_);
  return sqe;
}

Napi::Value Ring::Queued(Napi::Env env, io_uring_sqe* sqe, uint32_t id, uint64_t write_at_cur_pos) {
  if (id >= op_state_.size()) {
    op_state_.resize(id + 1);
    cur_pos_writes_.resize(id + 1);
  }
  op_state_[id] = sqe->opcode == IORING_OP_OPENAT ? kOpenInFlight : kInFlight;
  // A registered file (IOSQE_FIXED_FILE) names a slot, not an fd: lseek cannot reach it.
  bool tracked = write_at_cur_pos > 0 && !(sqe_flags_ & IOSQE_FIXED_FILE);
  cur_pos_writes_[id] = CurPosWrite{sqe->fd, tracked ? write_at_cur_pos : 0};
  io_uring_sqe_set_data64(sqe, id);
  sqe->flags |= sqe_flags_;
  port_.OpStarted();
  return Napi::Number::New(env, 1);
}

#define UINT_ARG(i) info[i].As<Napi::Number>().Uint32Value()

// read/write(id, fd, view, offset, length, position[, bufferIndex])
// With a bufferIndex (>= 0) whose registered buffer holds the whole range,
// the op is a READ_FIXED / WRITE_FIXED: the kernel skips pinning the pages.
Napi::Value Ring::QueueRW(const Napi::CallbackInfo& info, int opcode) {
  Napi::Env env = info.Env();
  uint32_t id = UINT_ARG(0);
  int fd = IntArg(info[1]);
  Bytes b = ViewBytes(info[2]);
  int64_t off = Int64Arg(info[3]), len = Int64Arg(info[4]);
  int64_t pos = PositionArg(info[5]);
  uint8_t* p = RangeIn(b, off, len);
  if (!p) return Napi::Number::New(env, -EFAULT);
  bool seekable = false;
  if (probe_stream_) {
    int probe = ProbeStream(fd, pos, opcode == IORING_OP_READ, seekable_, &seekable);
    if (probe != 0) return Napi::Number::New(env, probe);
  }
  int buffer_index = info.Length() > 6 ? IntArg(info[6]) : -1;
  if (buffer_index >= 0) {
    if (static_cast<size_t>(buffer_index) >= fixed_buffers_.size()) return Napi::Number::New(env, -EFAULT);
    const iovec& fixed = fixed_buffers_[buffer_index];
    uint8_t* start = static_cast<uint8_t*>(fixed.iov_base);
    if (p < start || p + len > start + fixed.iov_len) return Napi::Number::New(env, -EFAULT);
  }
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  if (len > kMaxRwCount) len = kMaxRwCount;  // after the range checks, which hold for the whole length
  if (buffer_index >= 0) {
    int fixed_opcode = opcode == IORING_OP_READ ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED;
    io_uring_prep_rw(fixed_opcode, sqe, fd, p, static_cast<unsigned>(len), static_cast<uint64_t>(pos));
    sqe->buf_index = static_cast<uint16_t>(buffer_index);
  } else {
    io_uring_prep_rw(opcode, sqe, fd, p, static_cast<unsigned>(len), static_cast<uint64_t>(pos));
  }
  if (seekable) seekable_.Add(fd);
  bool write_op = opcode == IORING_OP_WRITE;
  return Queued(env, sqe, id, write_op && pos < 0 ? static_cast<uint64_t>(len) : 0);
}

// readv/writev(id, fd, views[], iovScratch, position)
Napi::Value Ring::QueueRWV(const Napi::CallbackInfo& info, int opcode) {
  Napi::Env env = info.Env();
  uint32_t id = UINT_ARG(0);
  int fd = IntArg(info[1]);
  Bytes iov = ViewBytes(info[3]);
  int n = FillIovecs(info[2].As<Napi::Array>(), iov);
  if (n < 0) return Napi::Number::New(env, n);
  int64_t pos = PositionArg(info[4]);
  bool seekable = false;
  if (probe_stream_) {
    int probe = ProbeStream(fd, pos, opcode == IORING_OP_READV, seekable_, &seekable);
    if (probe != 0) return Napi::Number::New(env, probe);
  }
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  io_uring_prep_rw(opcode, sqe, fd, iov.data, static_cast<unsigned>(n), static_cast<uint64_t>(pos));
  if (seekable) seekable_.Add(fd);
  uint64_t asked = 0;
  if (opcode == IORING_OP_WRITEV && pos < 0) {
    auto* iovs = reinterpret_cast<const iovec*>(iov.data);
    for (int i = 0; i < n; i++) asked += iovs[i].iov_len;
    if (asked > static_cast<uint64_t>(kMaxRwCount)) asked = kMaxRwCount;  // what a full writev moves
  }
  return Queued(env, sqe, id, asked);
}

// open(id, path, flags, mode)
Napi::Value Ring::QueueOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* path = PathArg(info[1]);
  if (!path) return Napi::Number::New(env, -EFAULT);
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  io_uring_prep_openat(sqe, AT_FDCWD, path, IntArg(info[2]) | O_CLOEXEC, UINT_ARG(3));
  return Queued(env, sqe, UINT_ARG(0));
}

// close(id, fd)
Napi::Value Ring::QueueClose(const Napi::CallbackInfo& info) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(info.Env(), 0);
  io_uring_prep_close(sqe, IntArg(info[1]));
  return Queued(info.Env(), sqe, UINT_ARG(0));
}

// fsync(id, fd, datasync)
Napi::Value Ring::QueueFsync(const Napi::CallbackInfo& info) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(info.Env(), 0);
  io_uring_prep_fsync(sqe, IntArg(info[1]), info[2].ToBoolean() ? IORING_FSYNC_DATASYNC : 0);
  return Queued(info.Env(), sqe, UINT_ARG(0));
}

// IORING_OP_FTRUNCATE (Linux 6.9), which liburing 2.3's headers predate. lib/ asks the probe
// before it queues one (lib/backend.ts): an older kernel's ring never sees it.
constexpr int kOpFtruncate = 55;

// ftruncate(id, fd, length)
Napi::Value Ring::QueueFtruncate(const Napi::CallbackInfo& info) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(info.Env(), 0);
  io_uring_prep_rw(kOpFtruncate, sqe, IntArg(info[1]), nullptr, 0, static_cast<__u64>(Int64Arg(info[2])));
  return Queued(info.Env(), sqe, UINT_ARG(0));
}

// statx(id, dirfd, path | null, flags, mask, out)
Napi::Value Ring::QueueStatx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* path = info[2].IsNull() ? "" : PathArg(info[2]);
  Bytes out = ViewBytes(info[5]);
  if (!path || !RangeIn(out, 0, sizeof(struct statx))) return Napi::Number::New(env, -EFAULT);
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  io_uring_prep_statx(sqe, IntArg(info[1]), path, IntArg(info[3]), UINT_ARG(4),
                      reinterpret_cast<struct statx*>(out.data));
  return Queued(env, sqe, UINT_ARG(0));
}

// unlink(id, path, flags)
Napi::Value Ring::QueueUnlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* path = PathArg(info[1]);
  if (!path) return Napi::Number::New(env, -EFAULT);
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  io_uring_prep_unlinkat(sqe, AT_FDCWD, path, IntArg(info[2]));
  return Queued(env, sqe, UINT_ARG(0));
}

// mkdir(id, path, mode)
Napi::Value Ring::QueueMkdir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* path = PathArg(info[1]);
  if (!path) return Napi::Number::New(env, -EFAULT);
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  io_uring_prep_mkdirat(sqe, AT_FDCWD, path, UINT_ARG(2));
  return Queued(env, sqe, UINT_ARG(0));
}

// rename(id, from, to), link(id, existing, new) (a hard link, as link(2)) and
// symlink(id, target, path): an op on two paths, prepared by `prep`.
Napi::Value Ring::QueueTwoPaths(const Napi::CallbackInfo& info, void (*prep)(io_uring_sqe*, const char*, const char*)) {
  Napi::Env env = info.Env();
  const char* first = PathArg(info[1]);
  const char* second = PathArg(info[2]);
  if (!first || !second) return Napi::Number::New(env, -EFAULT);
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(env, 0);
  prep(sqe, first, second);
  return Queued(env, sqe, UINT_ARG(0));
}

Napi::Value Ring::QueueRename(const Napi::CallbackInfo& info) {
  return QueueTwoPaths(info, [](io_uring_sqe* sqe, const char* from, const char* to) { io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0); });
}

Napi::Value Ring::QueueLink(const Napi::CallbackInfo& info) {
  return QueueTwoPaths(info, [](io_uring_sqe* sqe, const char* existing, const char* to) { io_uring_prep_linkat(sqe, AT_FDCWD, existing, AT_FDCWD, to, 0); });
}

Napi::Value Ring::QueueSymlink(const Napi::CallbackInfo& info) {
  return QueueTwoPaths(info, [](io_uring_sqe* sqe, const char* target, const char* path) { io_uring_prep_symlinkat(sqe, target, AT_FDCWD, path); });
}

// nop(id)
Napi::Value Ring::QueueNop(const Napi::CallbackInfo& info) {
  io_uring_sqe* sqe = NextSqe();
  if (!sqe) return Napi::Number::New(info.Env(), 0);
  io_uring_prep_nop(sqe);
  return Queued(info.Env(), sqe, UINT_ARG(0));
}

// readFiles(id, key, paths, count, flags, results): read `count` whole
// files, whose paths follow each other NUL-terminated in `paths`, as one op
// (see FileGroup). Its pair [id, 0] comes when every file has its result in
// `results` (4 int32 per file); takeFiles(key) then hands over the memory.
Napi::Value Ring::QueueReadFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_ || closing_) return Napi::Number::New(env, -EBADF);
  uint32_t id = UINT_ARG(0);
  uint32_t key = UINT_ARG(1);
  Bytes paths = ViewBytes(info[2]);
  uint32_t count = UINT_ARG(3);
  Bytes results = ViewBytes(info[5]);
  if (count == 0 || paths.data == nullptr || paths.data[paths.length - 1] != 0 ||
      results.length < static_cast<size_t>(count) * 4 * sizeof(int32_t)) {
    return Napi::Number::New(env, -EFAULT);
  }
  auto group = std::make_unique<FileGroup>(env, id, key, reinterpret_cast<const char*>(paths.data), paths.length, count,
                                           IntArg(info[4]), reinterpret_cast<int32_t*>(results.data), group_window_,
                                           spare_landing_);
  spare_landing_ = nullptr;
  CompoundOpStarted(id);
  group->Advance(*this);
  groups_.push_back(std::move(group));
  return Napi::Number::New(env, 1);
}

// takeFiles(key): the ArrayBuffers a finished group's results point into.
Napi::Value Ring::TakeFiles(const Napi::CallbackInfo& info) {
  uint32_t key = UINT_ARG(0);
  for (auto it = finished_groups_.begin(); it != finished_groups_.end(); ++it) {
    if ((*it)->key() != key) continue;
    Napi::Array chunks = (*it)->TakeChunks(info.Env());
    finished_groups_.erase(it);
    return chunks;
  }
  return Napi::Array::New(info.Env());
}

// records(id, key, records, views, count, results): `count` reads and writes
// as one op. Each record is 6 doubles [opcode (0 read, 1 write), fd, index of
// its view in `views`, offset, length, position (-1: the current one)]; each
// result (bytes or -errno) goes to results[i], and the op's pair [id, 0]
// comes when all are in. One native call for the whole batch: lib/ makes no
// object and no call per op. A record whose range lies outside its view is
// -EFAULT without reaching the kernel.
Napi::Value Ring::QueueRecords(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_ || closing_) return Napi::Number::New(env, -EBADF);
  uint32_t id = UINT_ARG(0);
  uint32_t key = UINT_ARG(1);
  Bytes records = ViewBytes(info[2]);
  Napi::Array views = info[3].As<Napi::Array>();
  uint32_t count = UINT_ARG(4);
  Bytes results = ViewBytes(info[5]);
  if (count == 0 || records.length < static_cast<size_t>(count) * 6 * sizeof(double) ||
      results.length < static_cast<size_t>(count) * sizeof(int32_t)) {
    return Napi::Number::New(env, -EFAULT);
  }
  const double* r = reinterpret_cast<const double*>(records.data);
  RecordBatch batch{id, key, count, 0, reinterpret_cast<int32_t*>(results.data), {}};
  // Each view's memory is looked up once, however many records use it.
  std::vector<Bytes> memory(views.Length());
  std::vector<bool> looked_up(views.Length(), false);
  for (uint32_t i = 0; i < count; i++, r += 6) {
    uint32_t view = static_cast<uint32_t>(r[2]);
    if (view >= memory.size()) {
      batch.results[i] = -EFAULT;
      continue;
    }
    if (!looked_up[view]) {
      memory[view] = ViewBytes(views.Get(view));
      looked_up[view] = true;
    }
    int64_t length = static_cast<int64_t>(r[4]);
    uint8_t* p = RangeIn(memory[view], static_cast<int64_t>(r[3]), length);
    io_uring_sqe* sqe = p != nullptr ? NextSqe() : nullptr;
    if (sqe == nullptr) {
      batch.results[i] = p == nullptr ? -EFAULT : -ECANCELED;
      continue;
    }
    bool write = r[0] != 0;
    int fd = static_cast<int>(r[1]);
    int64_t position = static_cast<int64_t>(r[5]);
    if (length > kMaxRwCount) length = kMaxRwCount;
    io_uring_prep_rw(write ? IORING_OP_WRITE : IORING_OP_READ, sqe, fd, p, static_cast<unsigned>(length),
                     static_cast<uint64_t>(position));
    io_uring_sqe_set_data64(sqe, RecordData(key, i));
    if (write && position < 0) batch.writes_at_cur_pos.push_back({i, CurPosWrite{fd, static_cast<uint64_t>(length)}});
    batch.remaining++;
  }
  if (batch.remaining == 0) {
    // Nothing reached the kernel: a NOP brings the completion (never synchronously).
    io_uring_sqe* sqe = NextSqe();
    if (sqe == nullptr) return Napi::Number::New(env, -ECANCELED);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, RecordData(key, count));
    batch.remaining = 1;
  }
  CompoundOpStarted(id);
  record_batches_.push_back(std::move(batch));
  return Napi::Number::New(env, 1);
}

bool Ring::Reserve(unsigned count) {
  if (!open_ || closing_) return false;
  if (io_uring_sq_space_left(&ring_) < count) Submit();
  return io_uring_sq_space_left(&ring_) >= count;
}

io_uring_sqe* Ring::Sqe() {
  return io_uring_get_sqe(&ring_);
}

void Ring::OnGroupCqe(const io_uring_cqe* cqe) {
  port_.CountReaped();
  uint32_t key = GroupKeyOf(cqe->user_data);
  for (auto& group : groups_) {
    if (group->key() == key) {
      group->OnCqe(cqe->user_data, cqe->res);
      return;
    }
  }
  // Unknown: a ring shared across fork().
}

// An op of many SQEs (a file group, a records batch) counts as one pending op of lib/'s id.
void Ring::CompoundOpStarted(uint32_t id) {
  if (id >= op_state_.size()) {
    op_state_.resize(id + 1);
    cur_pos_writes_.resize(id + 1);
  }
  op_state_[id] = kInFlight;
  cur_pos_writes_[id] = CurPosWrite{};
  port_.OpStarted();
}

void Ring::CompoundOpDone(uint32_t id) {
  if (id < op_state_.size()) op_state_[id] = kIdle;
  port_.CompoundOpFinished();
}

void Ring::OnRecordCqe(const io_uring_cqe* cqe) {
  port_.CountReaped();
  uint32_t key = RecordKeyOf(cqe->user_data);
  uint32_t index = RecordIndexOf(cqe->user_data);
  for (RecordBatch& batch : record_batches_) {
    if (batch.key != key) continue;
    if (index < batch.count) {
      batch.results[index] = cqe->res;
      for (auto& [at, write] : batch.writes_at_cur_pos) {
        if (at == index) MoveCurPosAfterShortWrite(write, cqe->res);
      }
    }
    if (batch.remaining > 0) batch.remaining--;
    return;
  }
}

unsigned Ring::AdvanceGroups(int32_t* out, unsigned n, unsigned cap) {
  for (size_t i = 0; i < record_batches_.size() && n < cap;) {
    RecordBatch& batch = record_batches_[i];
    if (batch.remaining > 0) {
      i++;
      continue;
    }
    out[2 * n] = static_cast<int32_t>(batch.id);
    out[2 * n + 1] = 0;
    port_.SetPairFd(out, n, -1);
    CompoundOpDone(batch.id);
    n++;
    record_batches_.erase(record_batches_.begin() + static_cast<long>(i));
  }
  for (size_t i = 0; i < groups_.size();) {
    FileGroup& group = *groups_[i];
    if (!closing_) group.Advance(*this);
    if (!group.done() || !group.idle() || n == cap) {
      i++;
      continue;
    }
    out[2 * n] = static_cast<int32_t>(group.id());
    out[2 * n + 1] = 0;
    port_.SetPairFd(out, n, -1);
    CompoundOpDone(group.id());
    n++;
    KeepLanding(group.GiveBackLanding());
    finished_groups_.push_back(std::move(groups_[i]));
    groups_.erase(groups_.begin() + static_cast<long>(i));
  }
  return n;
}

// Submit everything queued. Returns how many SQEs the kernel took, or
// -errno. EINTR is retried; EAGAIN/EBUSY (kernel short of memory, or CQ
// overflow backlog) leave the SQEs queued for the next flush.
int Ring::Submit() {
  seekable_.Forget();
  int total = 0;
  while (io_uring_sq_ready(&ring_) > 0) {
    // With SQPOLL the kernel thread consumes the SQ by itself; a syscall is
    // made only to wake it, so only that counts as an enter.
    bool enters = !sqpoll_ || (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_NEED_WAKEUP);
    // With SQPOLL, io_uring_submit counts again the SQEs the kernel thread
    // has not taken yet: count only those this call adds.
    unsigned fresh = ring_.sq.sqe_tail - ring_.sq.sqe_head;
    int r = io_uring_submit(&ring_);
    if (enters) port_.CountEnter();
    if (r == -EINTR) continue;
    if (r < 0) {
      // EBADF, EOPNOTSUPP...: the ring's fd may have been closed behind its
      // back. The watchdog checks on the next loop turn (not from inside the
      // JS call under way) and fails what cannot complete.
      if (r != -EAGAIN && r != -EBUSY) port_.CheckSoon();
      return total > 0 ? total : r;
    }
    if (sqpoll_) r = static_cast<int>(fresh);
    if (r > 0) {
      total += r;
      port_.CountSubmit(static_cast<unsigned>(r));
    }
    // Without SQPOLL, a partial submit (an SQE that failed to prep, when
    // SUBMIT_ALL is unavailable) leaves the rest queued: go again. With
    // SQPOLL the SQ drains as the kernel thread gets to it.
    if (r == 0 || sqpoll_) break;
  }
  return total;
}

Napi::Value Ring::Flush(const Napi::CallbackInfo& info) {
  if (!open_ || closing_) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), Submit());
}

// Reap every CQE into the shared array and hand each batch to JS in one
// call, inside a callback scope so promise reactions run (at most
// kMaxDeliveriesPerWakeup calls); then submit what those reactions queued, in
// one io_uring_enter.
void Ring::Drain() {
  uint64_t ignored;
  while (read(eventfd_, &ignored, sizeof ignored) < 0 && errno == EINTR) {}
  Napi::HandleScope scope(env_);
  int32_t* state = port_.state();
  state[kInDrain] = 1;
  if (defer_taskrun_) {
    port_.CountEnter();
    io_uring_get_events(&ring_);
  }
  for (unsigned deliveries = 0, submits = 0;; deliveries++) {
    if (deliveries == kMaxDeliveriesPerWakeup) {
      port_.ResumeSoon();  // more may be ready: come back after the loop's other work
      break;
    }
    unsigned seen = 0;
    unsigned n = ReapInto(port_.completions(), port_.capacity(), &seen);
    if (seen == 0 && n == 0) {
      // What callbacks and file groups queued goes to the kernel now; page-cache hits complete
      // inside the submit, and are reaped by this drain instead of a wake-up of their own. Ops
      // that went to io-wq (statx, opens) complete later: then the drain ends, so that their
      // trickle is reaped and refilled on wake-ups rather than in a submit per few completions.
      if (submits < kMaxDeliveriesPerWakeup && open_ && !closing_ && io_uring_sq_ready(&ring_) > 0 && Submit() > 0) {
        submits++;
        if (io_uring_cq_ready(&ring_) > 0) continue;
      }
      break;
    }
    if (n == 0) continue;
    if (!port_.Deliver(n)) break;  // the environment is going: its teardown takes it from here
    if (!open_ || closing_) break;
  }
  state[kInDrain] = 0;
  if (open_ && !closing_ && io_uring_sq_ready(&ring_) > 0) Submit();
}

// Copy up to `cap` CQEs into `out` as [id, res] pairs; returns how many are
// ops' (internal ones are skipped). `seen` counts every CQE consumed; 0 means
// the CQ is empty, overflowed completions included.
unsigned Ring::ReapInto(int32_t* out, unsigned cap, unsigned* seen) {
  for (;;) {
    unsigned n = 0, count = 0, head;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (n == cap) break;
      count++;
      if (cqe->user_data >= kFirstInternalOp) continue;
      if (IsGroupData(cqe->user_data)) {
        OnGroupCqe(cqe);
        continue;
      }
      if (IsRecordData(cqe->user_data)) {
        OnRecordCqe(cqe);
        continue;
      }
      out[2 * n] = static_cast<int32_t>(cqe->user_data);
      out[2 * n + 1] = cqe->res;
      MoveCurPosAfterShortWrite(cqe);
      port_.SetPairFd(out, n, OpenedFd(cqe));
      if (cqe->user_data < op_state_.size()) op_state_[cqe->user_data] = kIdle;
      n++;
    }
    io_uring_cq_advance(&ring_, count);
    if (n > 0) port_.OpsFinished(n);
    if (!groups_.empty() || !record_batches_.empty()) n = AdvanceGroups(out, n, cap);
    if (count == 0 && n == 0 && (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW)) {
      // With IORING_FEAT_NODROP, completions that did not fit wait in the
      // kernel and raise no eventfd: fetch them with an enter.
      port_.CountOverflow();
      port_.CountEnter();
      io_uring_get_events(&ring_);
      continue;
    }
    *seen = count;
    return n;
  }
}

// A write at the current position (offset -1) that the kernel cut short
// (ENOSPC, EFBIG) returns the partial count but leaves the file position
// where it was: on a regular file or block device a partial write is retried
// on io-wq, and kiocb_done copies the advanced ki_pos into f_pos only when the
// last attempt returned >= 0 — a short result means it failed. write(2) would
// have moved the position past the bytes written, and the next write at -1
// would not land on top of them: do that here, before JS sees the result.
// Three syscalls (fstat, fcntl, lseek), only on the rare short write at -1; pipes,
// sockets and character devices have no position to move.
void Ring::MoveCurPosAfterShortWrite(const io_uring_cqe* cqe) {
  uint64_t id = cqe->user_data;
  if (id >= cur_pos_writes_.size()) return;
  MoveCurPosAfterShortWrite(cur_pos_writes_[id], cqe->res);
}

void Ring::MoveCurPosAfterShortWrite(const CurPosWrite& w, int32_t res) {
  if (res <= 0 || static_cast<uint64_t>(res) >= w.length) return;
  struct stat st;
  if (fstat(w.fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) return;
  // With O_APPEND, write(2) leaves the position at the end of the file.
  int flags = fcntl(w.fd, F_GETFL);
  if (flags >= 0 && (flags & O_APPEND)) lseek(w.fd, 0, SEEK_END);
  else lseek(w.fd, res, SEEK_CUR);
}

// setSqeFlags(flags): IOSQE_* flags for the SQEs queued from now on, and
// kProbeStreamFlag (never with IOSQE_FIXED_FILE: the fd is then a slot).
Napi::Value Ring::SetSqeFlags(const Napi::CallbackInfo& info) {
  unsigned flags = UINT_ARG(0);
  sqe_flags_ = static_cast<uint8_t>(flags & 0xff);
  probe_stream_ = (flags & kProbeStreamFlag) != 0 && !(flags & IOSQE_FIXED_FILE);
  return info.Env().Undefined();
}

// settleFd(fd): lib/ is about to close `fd` with a direct syscall (closeSync).
// The kernel resolves an op's fd when it issues the op, so submit what is
// queued now: each op then refers to the file it was meant for, whatever
// file reuses the number later. (An SQPOLL thread issues them by itself:
// wait, briefly, until it has taken them.)
Napi::Value Ring::SettleFd(const Napi::CallbackInfo& info) {
  seekable_.Forget();
  if (open_ && !closing_ && io_uring_sq_ready(&ring_) > 0) {
    Submit();
    for (int spins = 0; sqpoll_ && spins < 100000 && io_uring_sq_ready(&ring_) > 0; spins++) sched_yield();
  }
  return info.Env().Undefined();
}

// reserve(count): room for `count` SQEs to go in one submit (a linked chain
// must never be split across two), submitting what is queued if needed.
Napi::Value Ring::Reserve(const Napi::CallbackInfo& info) {
  unsigned count = UINT_ARG(0);
  if (!open_ || closing_) return Napi::Boolean::New(info.Env(), false);
  if (io_uring_sq_space_left(&ring_) < count) Submit();
  return Napi::Boolean::New(info.Env(), io_uring_sq_space_left(&ring_) >= count);
}

// waitCompletions(min, out): submit what is queued, block this thread until
// at least `min` completions are ready, and copy them into `out` (an
// Int32Array of its own, so that a wait made from inside a drain does not
// overwrite the pairs that drain is still dispatching) without calling JS.
// Returns the count, or -errno. For sync batches.
Napi::Value Ring::WaitCompletions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_ || closing_) return Napi::Number::New(env, -EBADF);
  unsigned min = UINT_ARG(0);
  Bytes out = ViewBytes(info[1]);
  unsigned cap = static_cast<unsigned>(out.length / (2 * sizeof(int32_t)));
  if (out.data == nullptr || cap == 0) return Napi::Number::New(env, -EFAULT);
  auto* pairs = reinterpret_cast<int32_t*>(out.data);
  if (pairs != port_.completions()) port_.UseSyncArray(info[1], pairs, cap);
  if (min > cap) min = cap;
  if (min > port_.pending()) min = static_cast<unsigned>(port_.pending());
  Submit();
  for (;;) {
    if (io_uring_cq_ready(&ring_) >= min || min == 0) break;
    io_uring_cqe* cqe = nullptr;
    port_.CountEnter();
    int r = io_uring_wait_cqes(&ring_, &cqe, min, nullptr, nullptr);
    if (r == -EINTR || r == -EAGAIN || r == -ETIME) continue;
    if (r < 0) return Napi::Number::New(env, r);
    if (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW) continue;
    break;
  }
  unsigned seen = 0;
  unsigned n = ReapInto(pairs, cap, &seen);
  if (pairs != port_.completions()) port_.SyncPairs(n);
  return Napi::Number::New(env, n);
}

void Ring::OnReadable() {
  if (open_ && !closing_ && !port_.stalled()) Drain();
}

// Cancel everything in flight, wait for every CQE, then free the ring. After
// this returns the kernel holds no pointer into memory lib/ pinned (unless
// the ring's fd was closed behind its back: see StopWithoutFd).
unsigned Ring::Teardown(int32_t* out, unsigned cap) {
  if (closing_) return 0;
  ForgetFdsNotOurs();
  unsigned delivered = Stop(out, cap);
  port_.Close();
  if (eventfd_ >= 0) { close(eventfd_); eventfd_ = -1; }
  return delivered;
}

void Ring::ForgetFdsNotOurs() {
  if (open_ && ring_.ring_fd >= 0 && !ring_file_.Names(ring_.ring_fd)) ring_.ring_fd = ring_.enter_ring_fd = -1;
  if (eventfd_ >= 0 && !event_file_.Names(eventfd_)) eventfd_ = -1;
}

unsigned Ring::Stop(int32_t* out, unsigned cap) {
  unsigned delivered = 0;
  if (closing_) return 0;
  closing_ = true;
  if (open_ && ring_.ring_fd < 0) {
    delivered = StopWithoutFd(out, cap);
  } else if (open_) {
    if (port_.pending() > 0) {
      // Queued-but-unsubmitted SQEs go in too, so that each gets its CQE.
      Submit();
      for (auto& group : groups_) group->Abandon();
      delivered = FinishAbandonedGroups(out, cap, delivered);
      CancelInFlight();
      while (port_.pending() > 0) {
        io_uring_cqe* cqe = nullptr;
        __kernel_timespec wait{0, kRecancelNs};
        int r = io_uring_wait_cqe_timeout(&ring_, &cqe, &wait);
        if (r == -ETIME) {
          CancelInFlight();
          continue;
        }
        if (r == -EINTR || r == -EAGAIN) continue;
        if (r < 0) break;
        if (cqe->user_data == kCancelAny && cqe->res == -EINVAL) {
          // Before 5.19 the kernel knows no IORING_ASYNC_CANCEL_ANY: cancel
          // by id each op the ring knows to be in flight.
          cancel_any_refused_ = true;
          io_uring_cqe_seen(&ring_, cqe);
          CancelInFlight();
          continue;
        }
        if (IsGroupData(cqe->user_data) || IsRecordData(cqe->user_data)) {
          if (IsGroupData(cqe->user_data)) OnGroupCqe(cqe);
          else OnRecordCqe(cqe);
          io_uring_cqe_seen(&ring_, cqe);
          delivered = FinishAbandonedGroups(out, cap, delivered);
          continue;
        }
        if (cqe->user_data < kFirstInternalOp) {
          // close() hands the results to lib/ (an open that completed
          // returned an fd someone must close); an environment teardown, with
          // no JS left to receive them, closes those fds itself.
          if (out != nullptr && delivered < cap) {
            out[2 * delivered] = static_cast<int32_t>(cqe->user_data);
            out[2 * delivered + 1] = cqe->res;
            delivered++;
          } else if (out == nullptr && OpenedFd(cqe) >= 0) {
            close(cqe->res);
          }
          if (cqe->user_data < op_state_.size()) op_state_[cqe->user_data] = kIdle;
          port_.OpsFinished(1);
        }
        io_uring_cqe_seen(&ring_, cqe);
        if (io_uring_sq_ready(&ring_) > 0) Submit();
      }
    }
    io_uring_queue_exit(&ring_);
    open_ = false;
  }
  FileGroup::FreeLanding(spare_landing_);
  spare_landing_ = nullptr;
  return delivered;
}

// While stopping: each abandoned group the kernel is done with fails as a
// whole (-ECANCELED; its fds are closed) and its memory is freed.
unsigned Ring::FinishAbandonedGroups(int32_t* out, unsigned cap, unsigned delivered) {
  for (size_t i = 0; i < record_batches_.size();) {
    RecordBatch& batch = record_batches_[i];
    if (batch.remaining > 0) {
      i++;
      continue;
    }
    if (out != nullptr && delivered < cap) {
      out[2 * delivered] = static_cast<int32_t>(batch.id);
      out[2 * delivered + 1] = 0;
      delivered++;
    }
    CompoundOpDone(batch.id);
    record_batches_.erase(record_batches_.begin() + static_cast<long>(i));
  }
  for (size_t i = 0; i < groups_.size();) {
    FileGroup& group = *groups_[i];
    if (!group.done() || !group.idle()) {
      i++;
      continue;
    }
    // Files that were read keep their bytes (takeFiles still works after the ring closed).
    if (out != nullptr && delivered < cap) {
      out[2 * delivered] = static_cast<int32_t>(group.id());
      out[2 * delivered + 1] = 0;
      delivered++;
    }
    CompoundOpDone(group.id());
    finished_groups_.push_back(std::move(groups_[i]));
    groups_.erase(groups_.begin() + static_cast<long>(i));
  }
  return delivered;
}

// The ring's fd was closed behind its back: no enter can submit, cancel or
// wait any more, but the mapped CQ still receives what the kernel completes.
// Results: what the CQ holds (real); kRingLost for SQEs the kernel never
// took (it never will); kRingLostHeld for ops the kernel holds, which it
// cancels itself once the unmapping below drops the ring's last reference
// (lib/ keeps their memory for good, as it cannot know when they stop).
unsigned Ring::StopWithoutFd(int32_t* out, unsigned cap) {
  unsigned delivered = 0;
  auto result = [&](uint64_t id, int32_t res, int opened_fd) {
    if (id < op_state_.size()) op_state_[id] = kIdle;
    port_.OpsFinished(1);
    if (out != nullptr && delivered < cap) {
      out[2 * delivered] = static_cast<int32_t>(id);
      out[2 * delivered + 1] = res;
      delivered++;
    } else if (out == nullptr && opened_fd >= 0) {
      close(opened_fd);  // an environment teardown: no JS left to receive it
    }
  };
  unsigned head, seen = 0;
  io_uring_cqe* cqe;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    seen++;
    if (cqe->user_data >= kFirstInternalOp || cqe->user_data >= op_state_.size() || op_state_[cqe->user_data] == kIdle) continue;
    result(cqe->user_data, cqe->res, OpenedFd(cqe));
  }
  io_uring_cq_advance(&ring_, seen);
  // SQEs between the kernel's head and ours were never consumed (with
  // SQPOLL the kernel thread may still take them: held, then).
  unsigned mask = *ring_.sq.kring_mask;
  for (unsigned i = IO_URING_READ_ONCE(*ring_.sq.khead); i != ring_.sq.sqe_tail; i++) {
    uint64_t id = ring_.sq.sqes[i & mask].user_data;
    if (id < op_state_.size() && op_state_[id] != kIdle) result(id, sqpoll_ ? kRingLostHeld : kRingLost, -1);
  }
  for (size_t id = 0; id < op_state_.size(); id++) {
    if (op_state_[id] != kIdle) result(id, kRingLostHeld, -1);
  }
  // The kernel may still write into the groups' memory: kept for good.
  for (auto& group : groups_) group.release();
  groups_.clear();
  record_batches_.clear();  // their memory is lib/'s (kept for good there)
  // Unmaps without closing: ring_fd is -1.
  io_uring_queue_exit(&ring_);
  open_ = false;
  return delivered;
}

// Every kWatchdogMs while ops are pending, or soon after a failed submit.
void Ring::OnWatchdog() {
  if (!open_ || closing_ || port_.stalled()) return;
  bool ring_ours = ring_file_.Names(ring_.ring_fd);
  bool eventfd_ours = event_file_.Names(eventfd_);
  if (ring_ours && eventfd_ours) {
    // Nothing is expected here (the eventfd brings every wake-up); a
    // completion it did not bring would otherwise wait for the next one.
    if (io_uring_cq_ready(&ring_) > 0 || !groups_.empty()) Drain();
    return;
  }
  // Something closed an fd of the ring that was not its to close. Stop the
  // ring (cancelling what it can), fail what did not complete with
  // kRingLost, and tell lib/, which closes the ring and makes no new op on it.
  Napi::HandleScope scope(env_);
  ForgetFdsNotOurs();
  int32_t* out = port_.completions();
  unsigned n = Stop(out, port_.capacity());
  for (unsigned i = 0; i < n; i++) {
    if (out[2 * i + 1] == -ECANCELED) out[2 * i + 1] = kRingLost;  // cancelled by this stop
  }
  port_.state()[kLost] = 1;
  port_.Deliver(n);
  port_.Close();
  if (eventfd_ >= 0) { close(eventfd_); eventfd_ = -1; }
}

// Ask the kernel to cancel every op in flight: with one IORING_ASYNC_CANCEL_ANY,
// or, where the kernel refused that (before 5.19), one cancel per op id.
void Ring::CancelInFlight() {
  if (!cancel_any_refused_) {
    io_uring_sqe* sqe = TeardownSqe();
    if (sqe == nullptr) return;
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | (cancel_any_refused_for_test_ ? 1u << 31 : 0));
    io_uring_sqe_set_data64(sqe, kCancelAny);
  } else {
    // Every id the kernel may hold, linked ops not started yet included (a
    // cancel that finds nothing says -ENOENT, which is harmless).
    std::vector<uint64_t> data;
    for (size_t id = 0; id < op_state_.size(); id++) {
      if (op_state_[id] != kIdle) data.push_back(id);
    }
    for (auto& group : groups_) group->PendingData(&data);
    for (RecordBatch& batch : record_batches_) {
      for (uint32_t i = 0; i <= batch.count; i++) data.push_back(RecordData(batch.key, i));
    }
    for (uint64_t one : data) {
      io_uring_sqe* sqe = TeardownSqe();
      if (sqe == nullptr) break;
      io_uring_prep_cancel64(sqe, one, 0);
      io_uring_sqe_set_data64(sqe, kCancelOne);
    }
  }
  Submit();
}

// An SQE for the teardown's own requests, submitting what is queued if the SQ is full.
io_uring_sqe* Ring::TeardownSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    Submit();
    sqe = io_uring_get_sqe(&ring_);
  }
  // SQEs queued while the chain flag was on must not join a chain.
  if (sqe != nullptr) sqe->flags = 0;
  return sqe;
}

// shutdown(): lib/ calls this from ring.close(). Returns how many [id, res]
// pairs of the ops that were pending it wrote into `completions`.
Napi::Value Ring::Close(const Napi::CallbackInfo& info) {
  if (!port_.is_open()) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), Teardown(port_.completions(), port_.capacity()));
}

// counters(): see CompletionPort::Counters.
Napi::Value Ring::Counters(const Napi::CallbackInfo& info) {
  return port_.Counters(info.Env());
}

// registerFiles(count): a table of `count` empty slots for registered files
// (IORING_REGISTER_FILES with every fd -1). Returns 0 or -errno.
Napi::Value Ring::RegisterFiles(const Napi::CallbackInfo& info) {
  if (!open_ || closing_) return Napi::Number::New(info.Env(), -EBADF);
  std::vector<int> empty(UINT_ARG(0), -1);
  return Napi::Number::New(info.Env(), io_uring_register_files(&ring_, empty.data(), empty.size()));
}

// updateFile(slot, fd): the table's slot refers to the file `fd` refers to
// now (the kernel takes its own reference, so closing `fd` later does not
// affect it); fd -1 empties the slot. Ops already issued on the slot keep
// their file. Returns 0 or -errno.
Napi::Value Ring::UpdateFile(const Napi::CallbackInfo& info) {
  if (!open_ || closing_) return Napi::Number::New(info.Env(), -EBADF);
  int fd = IntArg(info[1]);
  int r = io_uring_register_files_update(&ring_, UINT_ARG(0), &fd, 1);
  return Napi::Number::New(info.Env(), r < 0 ? r : 0);
}

// registerBuffers(views): register these buffers (replacing any registered
// before); the kernel pins their pages until they are unregistered or the
// ring is freed. lib/ keeps the views alive as long. Returns 0 or -errno.
Napi::Value Ring::RegisterBuffers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_ || closing_) return Napi::Number::New(env, -EBADF);
  Napi::Array views = info[0].As<Napi::Array>();
  std::vector<iovec> iovs(views.Length());
  for (uint32_t i = 0; i < views.Length(); i++) {
    Bytes b = ViewBytes(views.Get(i));
    if (b.data == nullptr || b.length == 0) return Napi::Number::New(env, -EFAULT);
    iovs[i] = iovec{b.data, b.length};
  }
  if (!fixed_buffers_.empty()) {
    io_uring_unregister_buffers(&ring_);
    fixed_buffers_.clear();
  }
  int r = io_uring_register_buffers(&ring_, iovs.data(), static_cast<unsigned>(iovs.size()));
  if (r < 0) return Napi::Number::New(env, r);
  fixed_buffers_ = std::move(iovs);
  return Napi::Number::New(env, 0);
}

// unregisterBuffers(): ops already issued keep the pages they use.
Napi::Value Ring::UnregisterBuffers(const Napi::CallbackInfo& info) {
  if (!open_ || closing_ || fixed_buffers_.empty()) return Napi::Number::New(info.Env(), 0);
  fixed_buffers_.clear();
  return Napi::Number::New(info.Env(), io_uring_unregister_buffers(&ring_));
}

}  // namespace

Napi::Object InitRing(Napi::Env env, Napi::Object exports) {
  exports.Set("Ring", Ring::Define(env));
  return exports;
}

}  // namespace uringfs
