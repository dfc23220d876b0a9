// The thread-pool backend: the same JS interface as the io_uring Ring
// (lib/binding.ts NativeRing), for when io_uring is blocked or missing.
// Queue methods append an op to a pending list (no syscall, no lock);
// flush() hands the pending ops to the worker threads with one notify.
// Workers run the blocking syscalls and post [id, result] to a locked
// completion list and wake the environment's own loop (a uv_async, so the
// pool has no fd of its own); the drain then copies completions into the shared Int32Array
// and makes one JS call per batch, exactly like the io_uring backend.
//
// Linked chains (ops queued while setSqeFlags(IOSQE_IO_LINK) is set) run in
// order on one worker; when a link fails (res < 0, or a short read/write) the
// rest of the chain completes with -ECANCELED, as io_uring does. A flush ends
// an unterminated chain, as a submit boundary does in io_uring.
//
// Per-op memory is pinned by lib/ring.ts until the op's completion arrives;
// teardown joins every worker before returning, so after shutdown() or the
// environment cleanup hook no thread touches that memory.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>
#include "common.h"
#include "completion_port.h"
#include "thread_ops.h"

namespace uringfs {
namespace {

constexpr uint8_t kFixedFileFlag = 1;  // IOSQE_FIXED_FILE
constexpr uint8_t kLinkFlag = 4;  // IOSQE_IO_LINK
constexpr unsigned kDefaultThreads = 8;  // lib/backend.ts DEFAULT_THREADS; measured in bench/pool-size.mjs
constexpr unsigned kMaxThreads = 1024;
constexpr size_t kWorkerStack = 256 * 1024;

struct Completion {
  uint32_t id;
  int32_t result;
  int fd = -1;  // an fd a ReadWhole op handed over: closed by Teardown if JS never gets it
  int opened = -1;  // the fd an open returned: closed by an environment teardown (no JS to get it)
};

class ThreadRing;

// A thread of the pool: a worker, or the poller.
struct Worker {
  ThreadRing* ring = nullptr;
  void (ThreadRing::*loop)(Worker*) = nullptr;
  pthread_t thread{};
  bool finished = false;  // under the ring's mutex_
  // The chain this worker runs and the first of its ops not finished (or
  // parked) yet, under the ring's mutex_: what a close of an fd waits for.
  const std::vector<ThreadOp>* chain = nullptr;
  size_t next = 0;
};

class ThreadRing : public Napi::ObjectWrap<ThreadRing>, private CompletionPort::Owner {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ThreadRing(const Napi::CallbackInfo& info);
  ~ThreadRing() override { Teardown(); }

 private:
  Napi::Value QueueRead(const Napi::CallbackInfo& info) { return QueueRW(info, ThreadOpKind::Read); }
  Napi::Value QueueWrite(const Napi::CallbackInfo& info) { return QueueRW(info, ThreadOpKind::Write); }
  Napi::Value QueueReadv(const Napi::CallbackInfo& info) { return QueueRWV(info, ThreadOpKind::Readv); }
  Napi::Value QueueWritev(const Napi::CallbackInfo& info) { return QueueRWV(info, ThreadOpKind::Writev); }
  Napi::Value QueueRW(const Napi::CallbackInfo& info, ThreadOpKind kind);
  Napi::Value QueueRWV(const Napi::CallbackInfo& info, ThreadOpKind kind);
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
  Napi::Value QueueNop(const Napi::CallbackInfo& info);
  Napi::Value QueueReadWhole(const Napi::CallbackInfo& info);
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

  Napi::Value Queue(Napi::Env env, ThreadOp op, bool seekable = false);
  Napi::Value QueueTwoPaths(const Napi::CallbackInfo& info, ThreadOpKind kind);
  void CloseFixedFiles();
  unsigned HandOff();
  bool StartWorkers();
  bool StartThread(void (ThreadRing::*loop)(Worker*), std::unique_ptr<Worker>* out);
  void WorkerLoop(Worker* self);
  void PollerLoop(Worker* self);
  enum class ParkResult { kParked, kStopping, kNoPoller };
  ParkResult Park(Worker* self, const std::vector<ThreadOp>& chain, size_t from);
  static void* ThreadMain(void* arg);
  // `worker`: the worker posting, whose chain has then finished up to `next`.
  void Post(const Completion& c, Worker* worker = nullptr, size_t next = 0);
  bool EarlierOpOn(int fd, uint64_t seq, const Worker* self, bool queued) const;
  unsigned ReapInto(int32_t* out, unsigned cap);
  void Drain();
  // Stop, join, free. With `out`, the results of the ops that were pending
  // (their real results, -ECANCELED for those never run) are copied there
  // as [id, res] pairs, at most `cap`; returns how many.
  unsigned Teardown(int32_t* out = nullptr, unsigned cap = 0);
  // Teardown without closing the port.
  unsigned Stop(int32_t* out, unsigned cap);
  void OnWatchdog() override;
  void OnReadable() override;
  void OnEnvironmentTeardown() override {
    port_.CloseUntakenFds();
    Teardown();
  }

  bool open_ = false;
  bool closing_ = false;
  CompletionPort port_;  // workers wake the drain with port_.Wake()
  napi_env env_ = nullptr;
  unsigned sq_entries_ = 0;
  unsigned thread_count_ = kDefaultThreads;
  bool can_interrupt_ = false;

  // JS thread only.
  std::vector<ThreadOp> pending_list_;  // queued, not yet handed to workers
  uint8_t sqe_flags_ = 0;
  bool probe_stream_ = false;  // kProbeStreamFlag: reads and writes queued now are node:fs-shaped
  SeekableFds seekable_;  // what probes found since the last hand-off (ProbeStream)
  uint64_t next_seq_ = 0;  // ThreadOp::seq of the last op queued
  // Registered files: each slot holds a descriptor of its own (a dup), as
  // io_uring's table holds a file reference. lib/ empties a slot only when
  // no op that named it is still pending, so workers never see it closed.
  std::vector<int> fixed_files_;

  // Shared with the workers, under mutex_.
  std::mutex mutex_;
  std::condition_variable work_ready_;  // workers wait for work_
  std::condition_variable done_ready_;  // waitCompletions waits for done_
  std::condition_variable worker_exited_;
  std::condition_variable op_finished_;  // for closes waiting on earlier ops (fd_waiters_)
  unsigned fd_waiters_ = 0;
  std::deque<ThreadOp> work_;  // whole chains, contiguous
  std::vector<Completion> done_;
  unsigned done_waiters_ = 0;
  std::atomic<bool> stopping_{false};

  std::vector<std::unique_ptr<Worker>> workers_;
  // Ops waiting for a pipe or socket to become ready, each with the rest of
  // its chain (under mutex_); the poller thread polls them and puts the
  // ready ones back at the front of work_.
  struct Parked {
    std::vector<ThreadOp> chain;
    short events;
  };
  std::vector<Parked> parked_;
  std::unique_ptr<Worker> poller_;  // started with the first parked op
};

Napi::Function ThreadRing::Define(Napi::Env env) {
  return DefineClass(env, "ThreadRing", {
    InstanceMethod<&ThreadRing::QueueRead>("read"),
    InstanceMethod<&ThreadRing::QueueWrite>("write"),
    InstanceMethod<&ThreadRing::QueueReadv>("readv"),
    InstanceMethod<&ThreadRing::QueueWritev>("writev"),
    InstanceMethod<&ThreadRing::QueueOpen>("open"),
    InstanceMethod<&ThreadRing::QueueClose>("close"),
    InstanceMethod<&ThreadRing::QueueFsync>("fsync"),
    InstanceMethod<&ThreadRing::QueueFtruncate>("ftruncate"),
    InstanceMethod<&ThreadRing::QueueStatx>("statx"),
    InstanceMethod<&ThreadRing::QueueUnlink>("unlink"),
    InstanceMethod<&ThreadRing::QueueRename>("rename"),
    InstanceMethod<&ThreadRing::QueueMkdir>("mkdir"),
    InstanceMethod<&ThreadRing::QueueLink>("link"),
    InstanceMethod<&ThreadRing::QueueSymlink>("symlink"),
    InstanceMethod<&ThreadRing::QueueNop>("nop"),
    InstanceMethod<&ThreadRing::QueueReadWhole>("readWhole"),
    InstanceMethod<&ThreadRing::Flush>("flush"),
    InstanceMethod<&ThreadRing::SetSqeFlags>("setSqeFlags"),
    InstanceMethod<&ThreadRing::SettleFd>("settleFd"),
    InstanceMethod<&ThreadRing::Reserve>("reserve"),
    InstanceMethod<&ThreadRing::WaitCompletions>("waitCompletions"),
    InstanceMethod<&ThreadRing::Close>("shutdown"),
    InstanceMethod<&ThreadRing::Counters>("counters"),
    InstanceMethod<&ThreadRing::RegisterFiles>("registerFiles"),
    InstanceMethod<&ThreadRing::UpdateFile>("updateFile"),
    InstanceMethod<&ThreadRing::RegisterBuffers>("registerBuffers"),
    InstanceMethod<&ThreadRing::UnregisterBuffers>("unregisterBuffers"),
  });
}

// new ThreadRing(entries, setupFlags, sqThreadIdleMs, onCompletions(count), threads = 8):
// the io_uring Ring's arguments (the flags and idle time mean nothing here)
// and the number of worker threads.
// `entries` sizes the pending list (a "submit" happens when it is full) and,
// times four, the completion array, mirroring the io_uring ring's SQ and CQ.
ThreadRing::ThreadRing(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ThreadRing>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  unsigned entries = info[0].As<Napi::Number>().Uint32Value();
  if (entries < 1) entries = 1;
  unsigned rounded = 1;
  while (rounded < entries && rounded < (1u << 15)) rounded <<= 1;
  sq_entries_ = rounded;
  if (info.Length() > 4 && info[4].IsNumber()) {
    unsigned t = info[4].As<Napi::Number>().Uint32Value();
    thread_count_ = t < 1 ? 1 : t > kMaxThreads ? kMaxThreads : t;
  }

  // The pool has no fd of its own (that a program closing fds it does not
  // own could take away): workers wake the drain through the port (a
  // uv_async, libuv's own fd), and the poller with the wake signal.
  open_ = true;
  can_interrupt_ = InstallWakeHandler();
  pending_list_.reserve(sq_entries_);

  // kNoJs (a worker being terminated) leaves the pool to the environment's teardown as it is:
  // stopping it here was seen to leave fds of that worker's files open.
  (void)port_.Open(env, info.This().As<Napi::Object>(), "uringfs:threads", -1, sq_entries_ * 4,
                   info[3].As<Napi::Function>(), this);
  SetNumbers(env, info.This(), {{"sqEntries", sq_entries_}, {"cqEntries", port_.capacity()}, {"setupFlags", 0},
                                {"features", 0}, {"threads", thread_count_}});
}

// Append an op to the pending list; a full list is handed to the workers
// first, as a full SQ is submitted. Returns 1, 0 once closing, or -EBADF for
// a registered-file slot that is empty (io_uring's answer too).
Napi::Value ThreadRing::Queue(Napi::Env env, ThreadOp op, bool seekable) {
  if (!open_ || closing_) return Napi::Number::New(env, 0);
  if (sqe_flags_ & kFixedFileFlag) {
    if (op.fd < 0 || static_cast<size_t>(op.fd) >= fixed_files_.size() || fixed_files_[op.fd] < 0) {
      return Napi::Number::New(env, -EBADF);
    }
    op.fd = fixed_files_[op.fd];
  }
  if (pending_list_.size() >= sq_entries_) HandOff();
  op.seq = ++next_seq_;
  pending_list_.push_back(op);
  pending_list_.back().linked = (sqe_flags_ & kLinkFlag) != 0;
  if (seekable) seekable_.Add(op.fd);  // after the hand-off above, which forgets (ProbeStream)
  port_.OpStarted();
  return Napi::Number::New(env, 1);
}

#define UINT_ARG(i) info[i].As<Napi::Number>().Uint32Value()

// read/write(id, fd, view, offset, length, position)
Napi::Value ThreadRing::QueueRW(const Napi::CallbackInfo& info, ThreadOpKind kind) {
  Napi::Env env = info.Env();
  Bytes b = ViewBytes(info[2]);
  int64_t off = Int64Arg(info[3]), len = Int64Arg(info[4]);
  uint8_t* p = RangeIn(b, off, len);
  if (!p) return Napi::Number::New(env, -EFAULT);
  ThreadOp op;
  op.kind = kind;
  op.id = UINT_ARG(0);
  op.fd = IntArg(info[1]);
  op.buffer = p;
  // At most what one read or write moves, as the io_uring backend asks.
  op.length = static_cast<uint64_t>(len > kMaxRwCount ? kMaxRwCount : len);
  op.position = PositionArg(info[5]);
  bool seekable = false;
  if (probe_stream_) {
    int probe = ProbeStream(op.fd, op.position, kind == ThreadOpKind::Read, seekable_, &seekable);
    if (probe != 0) return Napi::Number::New(env, probe);
  }
  return Queue(env, op, seekable);
}

// readv/writev(id, fd, views[], iovScratch, position)
Napi::Value ThreadRing::QueueRWV(const Napi::CallbackInfo& info, ThreadOpKind kind) {
  Napi::Env env = info.Env();
  Bytes iov = ViewBytes(info[3]);
  int n = FillIovecs(info[2].As<Napi::Array>(), iov);
  if (n < 0) return Napi::Number::New(env, n);
  ThreadOp op;
  op.kind = kind;
  op.id = UINT_ARG(0);
  op.fd = IntArg(info[1]);
  op.buffer = iov.data;
  op.length = static_cast<unsigned>(n);
  op.position = PositionArg(info[4]);
  bool seekable = false;
  if (probe_stream_) {
    int probe = ProbeStream(op.fd, op.position, kind == ThreadOpKind::Readv, seekable_, &seekable);
    if (probe != 0) return Napi::Number::New(env, probe);
  }
  return Queue(env, op, seekable);
}

// open(id, path, flags, mode)
Napi::Value ThreadRing::QueueOpen(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[1]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  ThreadOp op;
  op.kind = ThreadOpKind::Open;
  op.id = UINT_ARG(0);
  op.path = path;
  op.flags = IntArg(info[2]);
  op.mode = UINT_ARG(3);
  return Queue(info.Env(), op);
}

// close(id, fd)
Napi::Value ThreadRing::QueueClose(const Napi::CallbackInfo& info) {
  ThreadOp op;
  op.kind = ThreadOpKind::Close;
  op.id = UINT_ARG(0);
  op.fd = IntArg(info[1]);
  return Queue(info.Env(), op);
}

// fsync(id, fd, datasync)
Napi::Value ThreadRing::QueueFsync(const Napi::CallbackInfo& info) {
  ThreadOp op;
  op.kind = ThreadOpKind::Fsync;
  op.id = UINT_ARG(0);
  op.fd = IntArg(info[1]);
  op.flags = info[2].ToBoolean() ? 1 : 0;
  return Queue(info.Env(), op);
}

// ftruncate(id, fd, length)
Napi::Value ThreadRing::QueueFtruncate(const Napi::CallbackInfo& info) {
  ThreadOp op;
  op.kind = ThreadOpKind::Ftruncate;
  op.id = UINT_ARG(0);
  op.fd = IntArg(info[1]);
  op.length = static_cast<uint64_t>(Int64Arg(info[2]));
  return Queue(info.Env(), op);
}

// statx(id, dirfd, path | null, flags, mask, out)
Napi::Value ThreadRing::QueueStatx(const Napi::CallbackInfo& info) {
  const char* path = info[2].IsNull() ? "" : PathArg(info[2]);
  Bytes out = ViewBytes(info[5]);
  if (!path || !RangeIn(out, 0, sizeof(struct statx))) return Napi::Number::New(info.Env(), -EFAULT);
  ThreadOp op;
  op.kind = ThreadOpKind::Statx;
  op.id = UINT_ARG(0);
  op.fd = IntArg(info[1]);
  op.path = path;
  op.flags = IntArg(info[3]);
  op.mode = UINT_ARG(4);
  op.buffer = out.data;
  return Queue(info.Env(), op);
}

// unlink(id, path, flags)
Napi::Value ThreadRing::QueueUnlink(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[1]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  ThreadOp op;
  op.kind = ThreadOpKind::Unlink;
  op.id = UINT_ARG(0);
  op.path = path;
  op.flags = IntArg(info[2]);
  return Queue(info.Env(), op);
}

// mkdir(id, path, mode)
Napi::Value ThreadRing::QueueMkdir(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[1]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  ThreadOp op;
  op.kind = ThreadOpKind::Mkdir;
  op.id = UINT_ARG(0);
  op.path = path;
  op.mode = UINT_ARG(2);
  return Queue(info.Env(), op);
}

// rename(id, from, to), link(id, existing, new) and symlink(id, target, path): two paths.
Napi::Value ThreadRing::QueueTwoPaths(const Napi::CallbackInfo& info, ThreadOpKind kind) {
  const char* first = PathArg(info[1]);
  const char* second = PathArg(info[2]);
  if (!first || !second) return Napi::Number::New(info.Env(), -EFAULT);
  ThreadOp op;
  op.kind = kind;
  op.id = UINT_ARG(0);
  op.path = first;
  op.path2 = second;
  return Queue(info.Env(), op);
}

Napi::Value ThreadRing::QueueRename(const Napi::CallbackInfo& info) { return QueueTwoPaths(info, ThreadOpKind::Rename); }
Napi::Value ThreadRing::QueueLink(const Napi::CallbackInfo& info) { return QueueTwoPaths(info, ThreadOpKind::Link); }
Napi::Value ThreadRing::QueueSymlink(const Napi::CallbackInfo& info) { return QueueTwoPaths(info, ThreadOpKind::Symlink); }

// nop(id)
Napi::Value ThreadRing::QueueNop(const Napi::CallbackInfo& info) {
  ThreadOp op;
  op.kind = ThreadOpKind::Nop;
  op.id = UINT_ARG(0);
  return Queue(info.Env(), op);
}

// readWhole(id, path, flags, view, offset, capacity, status, slot): see
// ReadWholeFile; `status` is an Int32Array, the op's pair is at 2 * slot.
Napi::Value ThreadRing::QueueReadWhole(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[1]);
  Bytes b = ViewBytes(info[3]);
  uint8_t* p = RangeIn(b, Int64Arg(info[4]), Int64Arg(info[5]));
  Bytes status = ViewBytes(info[6]);
  uint8_t* pair = RangeIn(status, Int64Arg(info[7]) * 2 * sizeof(int32_t), 2 * sizeof(int32_t));
  if (!path || !p || !pair) return Napi::Number::New(info.Env(), -EFAULT);
  ThreadOp op;
  op.kind = ThreadOpKind::ReadWhole;
  op.id = UINT_ARG(0);
  op.path = path;
  op.flags = IntArg(info[2]);
  op.mode = 0666;
  op.buffer = p;
  op.length = static_cast<uint64_t>(Int64Arg(info[5]));
  op.status = reinterpret_cast<int32_t*>(pair);
  return Queue(info.Env(), op);
}

// Workers start on the first hand-off, so a ring that is never used costs
// no threads. Returns false when not even one could be started
// (RLIMIT_NPROC, memory).
bool ThreadRing::StartWorkers() {
  for (unsigned i = 0; i < thread_count_; i++) {
    std::unique_ptr<Worker> w;
    if (!StartThread(&ThreadRing::WorkerLoop, &w)) break;
    workers_.push_back(std::move(w));
  }
  return !workers_.empty();
}

// Threads are created with every signal blocked (the mask is inherited), so
// that signals meant for the process never land on them, and with a small
// stack: they only make syscalls.
bool ThreadRing::StartThread(void (ThreadRing::*loop)(Worker*), std::unique_ptr<Worker>* out) {
  auto w = std::make_unique<Worker>();
  w->ring = this;
  w->loop = loop;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kWorkerStack);
  int r = pthread_create(&w->thread, &attr, ThreadMain, w.get());
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (r != 0) return false;
  *out = std::move(w);
  return true;
}

void* ThreadRing::ThreadMain(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  ThreadRing* self = w->ring;
  if (self->can_interrupt_) {
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, WakeSignal());
    pthread_sigmask(SIG_UNBLOCK, &wake, nullptr);
  }
  (self->*(w->loop))(w);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    w->finished = true;
  }
  self->worker_exited_.notify_all();
  return nullptr;
}

// Move the pending list to the workers (one lock, one notify). Returns how
// many ops were handed off.
unsigned ThreadRing::HandOff() {
  seekable_.Forget();
  size_t n = pending_list_.size();
  if (n == 0 || !open_ || closing_) return 0;
  if (workers_.empty() && !StartWorkers()) {
    // No thread to run them: fail the ops (as the kernel would with EAGAIN)
    // rather than leave them pending forever.
    for (const ThreadOp& op : pending_list_) Post({op.id, -EAGAIN});
    pending_list_.clear();
    return 0;
  }
  // A hand-off ends a chain, as a submit boundary does in io_uring.
  pending_list_.back().linked = false;
  size_t chains = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const ThreadOp& op : pending_list_) {
      work_.push_back(op);
      if (!op.linked) chains++;
    }
  }
  pending_list_.clear();
  if (chains == 1) work_ready_.notify_one();
  else work_ready_.notify_all();
  port_.CountSubmit(static_cast<unsigned>(n));
  port_.CountEnter();  // one hand-off (one notify) stands for one io_uring_enter
  return static_cast<unsigned>(n);
}

void ThreadRing::WorkerLoop(Worker* self) {
  std::vector<ThreadOp> chain;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      chain.clear();  // under the lock: a waiting close reads it
      self->chain = &chain;
      self->next = 0;
      work_ready_.wait(lock, [this] { return stopping_.load() || !work_.empty(); });
      if (stopping_.load()) return;  // what is left is cancelled by Teardown
      do {
        chain.push_back(work_.front());
        work_.pop_front();
      } while (chain.back().linked && !work_.empty());
    }
    bool cancel_rest = false;
    for (size_t i = 0; i < chain.size(); i++) {
      const ThreadOp& op = chain[i];
      int32_t res;
      int handed_fd = -1;
      if (op.kind == ThreadOpKind::Close && !cancel_rest) {
        // Ops on this fd queued before the close may be running on other
        // workers (a hand-off spreads over all of them): closing under them
        // would let them follow the fd's number into the next file opened.
        // (Ops parked for readiness are not waited for: a pipe may stay empty.)
        std::unique_lock<std::mutex> lock(mutex_);
        fd_waiters_++;
        op_finished_.wait(lock, [&] { return stopping_.load() || !EarlierOpOn(op.fd, op.seq, self, false); });
        fd_waiters_--;
      }
      if (cancel_rest || stopping_.load()) {
        res = -ECANCELED;
      } else if (op.kind == ThreadOpKind::ReadWhole) {
        res = ReadWholeFile(op, stopping_, &handed_fd);
        if (op.linked && BreaksLink(op, res)) cancel_rest = true;
      } else {
        res = ExecuteOp(op, stopping_);
        while (res == kNotReady) {
          ParkResult parked = Park(self, chain, i);
          if (parked == ParkResult::kParked) break;
          if (parked == ParkResult::kStopping) {
            res = -ECANCELED;  // and the rest of the chain with it
            break;
          }
          // No poller thread could be started: wait on this worker instead.
          struct pollfd p = {op.fd, PollEventsFor(op), 0};
          poll(&p, 1, -1);  // interrupted by the wake signal at teardown
          res = stopping_.load() ? -ECANCELED : ExecuteOp(op, stopping_);
        }
        if (res == kNotReady) break;  // parked, with the rest of its chain
        if (op.linked && BreaksLink(op, res)) cancel_rest = true;
      }
      Post({op.id, res, handed_fd, op.kind == ThreadOpKind::Open && res >= 0 ? res : -1}, self, i + 1);
    }
  }
}

// Hand chain[from..] to the poller.
ThreadRing::ParkResult ThreadRing::Park(Worker* self, const std::vector<ThreadOp>& chain, size_t from) {
  pthread_t poller;
  bool wake_closers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_.load()) return ParkResult::kStopping;
    // The poller is woken by the wake signal: without it, no poller.
    if (!can_interrupt_) return ParkResult::kNoPoller;
    if (!poller_ && !StartThread(&ThreadRing::PollerLoop, &poller_)) return ParkResult::kNoPoller;
    parked_.push_back(Parked{std::vector<ThreadOp>(chain.begin() + from, chain.end()), PollEventsFor(chain[from])});
    poller = poller_->thread;
    self->next = chain.size();
    wake_closers = fd_waiters_ > 0;
  }
  if (wake_closers) op_finished_.notify_all();
  pthread_kill(poller, WakeSignal());
  return ParkResult::kParked;
}

// Polls the parked ops' fds; puts each ready one back at
// the front of the work queue, where a worker retries it. Only this thread
// removes from parked_, so entries seen in one round keep their index.
void ThreadRing::PollerLoop(Worker*) {
  std::vector<struct pollfd> fds;
  std::vector<Parked> ready, waiting;
  // Woken by the wake signal (Park, Teardown), not by an fd of the pool's,
  // which a program closing fds it does not own could take away: the signal
  // stays blocked except inside ppoll, so one sent before ppoll starts
  // interrupts it at once.
  sigset_t wake, during;
  sigemptyset(&wake);
  sigaddset(&wake, WakeSignal());
  pthread_sigmask(SIG_BLOCK, &wake, &during);
  sigdelset(&during, WakeSignal());
  for (;;) {
    size_t watched;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_.load()) return;
      watched = parked_.size();
      fds.resize(watched + 1);
      fds[0] = {-1, 0, 0};  // unused (ppoll skips negative fds)
      for (size_t i = 0; i < watched; i++) fds[i + 1] = {parked_[i].chain[0].fd, parked_[i].events, 0};
    }
    // EINTR: something was parked, or teardown (which looks at stopping_).
    if (ppoll(fds.data(), fds.size(), nullptr, &during) < 0) continue;
    size_t requeued = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_.load()) return;
      ready.clear();
      waiting.clear();
      for (size_t i = 0; i < parked_.size(); i++) {
        // POLLERR, POLLHUP and POLLNVAL count as ready: the retry reports them.
        bool is_ready = i < watched && fds[i + 1].revents != 0;
        (is_ready ? ready : waiting).push_back(std::move(parked_[i]));
      }
      parked_.swap(waiting);
      for (auto chain = ready.rbegin(); chain != ready.rend(); ++chain) {
        for (auto op = chain->chain.rbegin(); op != chain->chain.rend(); ++op) work_.push_front(*op);
      }
      requeued = ready.size();
    }
    if (requeued == 1) work_ready_.notify_one();
    else if (requeued > 1) work_ready_.notify_all();
  }
}

// Hand one completion to the JS thread. The loop is woken only when the
// list goes from empty to non-empty: the drain empties it (up to its cap,
// after which it resumes by itself).
void ThreadRing::Post(const Completion& c, Worker* worker, size_t next) {
  bool ring_bell;
  bool wake_waiter;
  bool wake_closers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ring_bell = done_.empty();
    done_.push_back(c);
    wake_waiter = done_waiters_ > 0;
    if (worker != nullptr) worker->next = next;
    wake_closers = fd_waiters_ > 0;
  }
  if (wake_waiter) done_ready_.notify_one();
  if (wake_closers) op_finished_.notify_all();
  if (ring_bell) port_.Wake();
}

// Whether an op on `fd` queued before `seq` is still to run or running on a
// worker other than `self` (and, with `queued`, still in the work queue).
// Under mutex_. A close waits for those; found by a scan, only when a close
// runs, so that ops themselves keep no per-fd count.
bool ThreadRing::EarlierOpOn(int fd, uint64_t seq, const Worker* self, bool queued) const {
  if (fd < 0) return false;
  for (const auto& w : workers_) {
    if (w.get() == self || w->chain == nullptr) continue;
    for (size_t k = w->next; k < w->chain->size(); k++) {
      const ThreadOp& op = (*w->chain)[k];
      if (op.fd == fd && op.seq < seq) return true;
    }
  }
  // A worker's close does not wait for the queue: every op queued before it
  // was taken before it (the queue is in order), except ops back from the
  // poller, which any worker takes next — were every worker waiting in a
  // close, nothing would.
  if (queued) {
    for (const ThreadOp& op : work_) if (op.fd == fd && op.seq < seq) return true;
  }
  return false;
}

// settleFd(fd): lib/ is about to close `fd` with a direct syscall
// (closeSync). Hand off what is pending and wait until every op queued so
// far on `fd` has run (ops parked until a pipe is ready excepted), so that
// none follows the number into the file opened next. The wait is bounded
// (2 s): an op in a blocking read on a pipe another reader emptied first
// could otherwise hold the JS thread.
Napi::Value ThreadRing::SettleFd(const Napi::CallbackInfo& info) {
  seekable_.Forget();
  int fd = IntArg(info[0]);
  if (!open_ || closing_ || fd < 0) return info.Env().Undefined();
  HandOff();
  uint64_t before = next_seq_ + 1;
  std::unique_lock<std::mutex> lock(mutex_);
  fd_waiters_++;
  op_finished_.wait_for(lock, std::chrono::seconds(2), [&] {
    return stopping_.load() || !EarlierOpOn(fd, before, nullptr, true);
  });
  fd_waiters_--;
  return info.Env().Undefined();
}

Napi::Value ThreadRing::Flush(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), HandOff());
}

// Copy up to `cap` completions into `out` as [id, res] pairs.
unsigned ThreadRing::ReapInto(int32_t* out, unsigned cap) {
  unsigned n = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t take = done_.size() < cap ? done_.size() : cap;
    for (size_t i = 0; i < take; i++) {
      out[2 * i] = static_cast<int32_t>(done_[i].id);
      out[2 * i + 1] = done_[i].result;
      port_.SetPairFd(out, static_cast<unsigned>(i), done_[i].fd >= 0 ? done_[i].fd : done_[i].opened);
    }
    done_.erase(done_.begin(), done_.begin() + take);
    n = static_cast<unsigned>(take);
  }
  if (n > 0) port_.OpsFinished(n);
  return n;
}

// Hand every completion to JS, one call per batch, inside a callback scope
// so promise reactions run (at most kMaxDeliveriesPerWakeup calls); then
// hand off what those reactions queued.
void ThreadRing::Drain() {
  Napi::HandleScope scope(env_);
  int32_t* state = port_.state();
  state[kInDrain] = 1;
  for (unsigned deliveries = 0;; deliveries++) {
    if (deliveries == kMaxDeliveriesPerWakeup) {
      // Workers ring only when the done list goes from empty to not: what is
      // left there would wait for the next completion.
      port_.ResumeSoon();
      break;
    }
    unsigned n = ReapInto(port_.completions(), port_.capacity());
    if (n == 0) break;
    if (!port_.Deliver(n)) break;  // the environment is going: its teardown takes it from here
    if (!open_ || closing_) break;
  }
  state[kInDrain] = 0;
  if (open_ && !closing_) HandOff();
}

// setSqeFlags(flags): IOSQE_IO_LINK (4) links the ops queued from now on;
// kProbeStreamFlag marks node:fs-shaped reads and writes (see ProbeStream).
Napi::Value ThreadRing::SetSqeFlags(const Napi::CallbackInfo& info) {
  unsigned flags = UINT_ARG(0);
  sqe_flags_ = static_cast<uint8_t>(flags & 0xff);
  probe_stream_ = (flags & kProbeStreamFlag) != 0 && !(flags & kFixedFileFlag);
  return info.Env().Undefined();
}

// reserve(count): room for `count` ops in the pending list, so a chain is
// never split by an automatic hand-off.
Napi::Value ThreadRing::Reserve(const Napi::CallbackInfo& info) {
  unsigned count = UINT_ARG(0);
  if (!open_ || closing_) return Napi::Boolean::New(info.Env(), false);
  if (sq_entries_ - pending_list_.size() < count) HandOff();
  return Napi::Boolean::New(info.Env(), sq_entries_ - pending_list_.size() >= count);
}

// waitCompletions(min, out?): hand off what is queued, block until at least
// `min` completions are ready, copy them as [id, res] pairs into `out` (an
// Int32Array; `completions` when absent) without calling JS.
Napi::Value ThreadRing::WaitCompletions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_ || closing_) return Napi::Number::New(env, -EBADF);
  int32_t* out = port_.completions();
  unsigned cap = port_.capacity();
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    Bytes b = ViewBytes(info[1]);
    out = reinterpret_cast<int32_t*>(b.data);
    cap = static_cast<unsigned>(b.length / (2 * sizeof(int32_t)));
    if (out == nullptr || cap == 0) return Napi::Number::New(env, -EFAULT);
    port_.UseSyncArray(info[1], out, cap);
  }
  uint64_t min = UINT_ARG(0);
  if (min > port_.pending()) min = port_.pending();
  if (min > cap) min = cap;
  HandOff();
  if (min > 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_waiters_++;
    done_ready_.wait(lock, [&] { return done_.size() >= min; });
    done_waiters_--;
  }
  unsigned n = ReapInto(out, cap);
  if (out != port_.completions()) port_.SyncPairs(n);
  return Napi::Number::New(env, n);
}

void ThreadRing::OnReadable() {
  if (open_ && !closing_ && !port_.stalled()) Drain();
}

// Stop taking work, cancel what no worker started, interrupt syscalls that
// block (pipes, FIFOs), join every worker, and drop the completions: after
// this returns no thread touches memory lib/ pinned.
unsigned ThreadRing::Teardown(int32_t* out, unsigned cap) {
  if (closing_) return 0;
  unsigned delivered = Stop(out, cap);
  CloseFixedFiles();
  port_.Close();
  return delivered;
}

unsigned ThreadRing::Stop(int32_t* out, unsigned cap) {
  if (closing_) return 0;
  closing_ = true;
  unsigned delivered = 0;
  if (open_) {
    std::deque<ThreadOp> never_started;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
      never_started.swap(work_);
    }
    work_ready_.notify_all();
    op_finished_.notify_all();
    for (auto& w : workers_) {
      // A worker still busy after a moment may be blocked in a syscall that
      // never ends by itself (an empty pipe): poke it until it returns. One
      // signal could land just before the syscall starts, hence the loop.
      {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!worker_exited_.wait_for(lock, std::chrono::milliseconds(2), [&] { return w->finished; })) {
          if (can_interrupt_) pthread_kill(w->thread, WakeSignal());
        }
      }
      pthread_join(w->thread, nullptr);
    }
    workers_.clear();
    if (poller_) {
      {
        // The poller runs only where the wake signal can interrupt it.
        std::unique_lock<std::mutex> lock(mutex_);
        while (!worker_exited_.wait_for(lock, std::chrono::milliseconds(2), [&] { return poller_->finished; })) {
          if (can_interrupt_) pthread_kill(poller_->thread, WakeSignal());
        }
      }
      pthread_join(poller_->thread, nullptr);
      poller_.reset();
    }
    // Every thread is gone: what ran has posted its result (a syscall cut
    // short by the wake signal says -ECANCELED); the rest never ran.
    auto deliver = [&](uint32_t id, int32_t res) {
      if (out == nullptr || delivered == cap) return;
      out[2 * delivered] = static_cast<int32_t>(id);
      out[2 * delivered + 1] = res;
      delivered++;
    };
    for (const Completion& c : done_) {
      // An fd a ReadWhole op handed over is closed here: its owner in JS
      // learns only that the op was cancelled.
      if (c.fd >= 0) close(c.fd);
      // close() hands an open's fd to its owner; an environment teardown has none.
      if (out == nullptr && c.opened >= 0) close(c.opened);
      deliver(c.id, c.fd >= 0 ? -ECANCELED : c.result);
    }
    // A close that never ran, at an environment teardown, is carried out here: lib/ has let go
    // of the fd (it marks it closing, and no JS is left to see the cancellation).
    auto cancel = [&](const ThreadOp& op) {
      if (out == nullptr && op.kind == ThreadOpKind::Close && op.fd >= 0) close(op.fd);
      deliver(op.id, -ECANCELED);
    };
    for (const ThreadOp& op : never_started) cancel(op);
    for (const Parked& p : parked_) for (const ThreadOp& op : p.chain) cancel(op);
    for (const ThreadOp& op : pending_list_) cancel(op);
    parked_.clear();
    done_.clear();
    pending_list_.clear();
    if (port_.pending() > 0) port_.OpsFinished(port_.pending());
    open_ = false;
  }
  return delivered;
}

// Every kWatchdogMs while ops are pending. The pool has no fd of its own to
// lose; this only reaps completions whose wake-up did not come (none is expected).
void ThreadRing::OnWatchdog() {
  if (!open_ || closing_ || port_.stalled()) return;
  bool ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready = !done_.empty();
  }
  if (ready) Drain();
}

void ThreadRing::CloseFixedFiles() {
  for (int fd : fixed_files_) if (fd >= 0) close(fd);
  fixed_files_.clear();
}

// registerFiles(count): a table of `count` empty slots. Returns 0 or -errno
// (-EBUSY if there is one already, as io_uring says).
Napi::Value ThreadRing::RegisterFiles(const Napi::CallbackInfo& info) {
  if (!open_ || closing_) return Napi::Number::New(info.Env(), -EBADF);
  if (!fixed_files_.empty()) return Napi::Number::New(info.Env(), -EBUSY);
  fixed_files_.assign(UINT_ARG(0), -1);
  return Napi::Number::New(info.Env(), 0);
}

// updateFile(slot, fd): the slot gets a dup of `fd` (so closing `fd` later
// does not affect it); fd -1 empties it. Returns 0 or -errno.
Napi::Value ThreadRing::UpdateFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!open_ || closing_) return Napi::Number::New(env, -EBADF);
  uint32_t slot = UINT_ARG(0);
  int fd = IntArg(info[1]);
  if (slot >= fixed_files_.size()) return Napi::Number::New(env, -EINVAL);
  int own = -1;
  if (fd >= 0) {
    own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) return Napi::Number::New(env, -errno);
  } else if (fd != -1) {
    return Napi::Number::New(env, -EBADF);
  }
  if (fixed_files_[slot] >= 0) close(fixed_files_[slot]);
  fixed_files_[slot] = own;
  return Napi::Number::New(env, 0);
}

// The pool reads and writes registered buffers with plain read/write: there
// are no pages to pin ahead of time, so registering only succeeds.
Napi::Value ThreadRing::RegisterBuffers(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), open_ && !closing_ ? 0 : -EBADF);
}

Napi::Value ThreadRing::UnregisterBuffers(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), 0);
}


// shutdown(): lib/ calls this from ring.close(). Returns how many [id, res]
// pairs of the ops that were pending it wrote into `completions`.
Napi::Value ThreadRing::Close(const Napi::CallbackInfo& info) {
  if (!port_.is_open()) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), Teardown(port_.completions(), port_.capacity()));
}

// counters(): see CompletionPort::Counters. On the pool, `submitted` counts
// ops handed to the workers and `enters` the hand-offs (one notify each);
// there is no CQ to overflow.
Napi::Value ThreadRing::Counters(const Napi::CallbackInfo& info) {
  return port_.Counters(info.Env());
}

}  // namespace

Napi::Object InitThreads(Napi::Env env, Napi::Object exports) {
  exports.Set("ThreadRing", ThreadRing::Define(env));
  return exports;
}

}  // namespace uringfs
