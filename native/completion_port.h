// What both backends (io_uring's Ring and the thread pool's ThreadRing)
// share to bring completions back to JavaScript: a uv_poll watching the
// backend's eventfd on the environment's own loop, the environment's async
// cleanup hook, the arrays shared with lib/ ([id, res] pairs, and state), the
// keep-alive rule, and the one call into JS per batch of completions.
#pragma once
#include <napi.h>
#include <sys/stat.h>
#include <uv.h>
#include <climits>
#include <cstdint>
#include <vector>

namespace uringfs {

// Slots of the shared state array (Int32Array `state`).
// kLost: set before the delivery that tells lib/ the ring lost an fd of its
// own (see FileId) and failed what was pending.
enum StateSlot { kInDrain = 0, kLost = 1, kStateSlots = 4 };
// Results of the ops of a ring that lost an fd of its own (lib/ring.ts
// RING_LOST, RING_LOST_HELD): the op did not complete; with kRingLostHeld the
// kernel may still hold its memory (lib/ keeps it for good).
constexpr int32_t kRingLost = INT32_MIN + 1;
constexpr int32_t kRingLostHeld = INT32_MIN + 2;
// What lib/ writes over a pair's id once it has taken the pair.
constexpr int32_t kTaken = -1;
// Calls into JS one wake-up may make before yielding to the loop. A drain's
// callbacks may submit more work that completes at once (an awaited batch
// loop): without a cap, the drain would go on for as long as they do and
// starve timers and other I/O. A drain stopped by the cap asks to be resumed
// (ResumeSoon: the eventfd counter is coalesced, it may not fire again for
// what is left) so that the loop comes back to the rest.
constexpr unsigned kMaxDeliveriesPerWakeup = 16;

// The file an fd number referred to when the ring made it. A program may
// close fd numbers it does not own (the ring's or its eventfd) and the
// number may then name another file: the ring checks before it trusts a
// number again, and never closes, reads, writes or enters one that is no
// longer its own. Device and inode tell io_uring fds apart, not eventfds
// (they all share one anonymous inode): for those, the id the kernel shows
// in /proc/self/fdinfo ("eventfd-id", Linux 6.0+) does; where it cannot be
// read, another eventfd given the same number passes for the ring's own.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  long long eventfd_id = -1;
  static FileId Of(int fd);
  // `fd` still refers to this file (only checks, never costs more than an
  // fstat and, for an eventfd, a read of its fdinfo).
  bool Names(int fd) const;
};

// While ops are pending, the port's watchdog calls the owner's OnWatchdog
// this often: an eventfd closed behind the ring's back never wakes the loop
// again, so nothing else would notice. Costs an fstat per fd and a read of
// the eventfd's fdinfo per period.
constexpr uint64_t kWatchdogMs = 500;

class CompletionPort {
 public:
  // The backend behind the port.
  class Owner {
   public:
    // The eventfd is readable: reap and Deliver().
    virtual void OnReadable() = 0;
    // The environment is going away (worker exit, process exit).
    virtual void OnEnvironmentTeardown() = 0;
    // The watchdog's period elapsed with ops pending, or CheckSoon() was
    // called: check that the ring's fds are still its own, and reap.
    virtual void OnWatchdog() = 0;

   protected:
    ~Owner() = default;
  };

  // Watch `eventfd` (unref'd: an idle port keeps nothing alive), make the
  // shared arrays for `capacity` pairs and set them on `self` as
  // `completions` and `state`, and hold `on_completions` weakly. With
  // `eventfd` -1, the owner is woken by Wake() instead (a uv_async: libuv's
  // own fd, none of the port's that a program could close behind its back).
  // libuv may still watch that fd number for a handle of its own — a number
  // closed behind someone's back and reused before that handle was closed:
  // then move the eventfd to another number.
  // kFdWatched: libuv still watches that number (see above), nothing done; kNoJs: the environment
  // refuses new JS values (it is being torn down), nothing done: give up quietly, no JS is left to
  // tell.
  enum OpenResult { kOpened, kFdWatched, kNoJs };
  OpenResult Open(Napi::Env env, Napi::Object self, const char* resource_name, int eventfd, unsigned capacity,
                  Napi::Function on_completions, Owner* owner);

  // From any thread, with no eventfd: call the owner's OnReadable on the
  // loop (coalesced). Not after Close().
  void Wake();

  // Call the owner's OnReadable again on the next loop turn, after the
  // loop's timers and I/O (a uv_idle: no syscall).
  void ResumeSoon();

  // Run the owner's OnWatchdog on the next loop turn (e.g. after a submit
  // failed with EBADF) rather than from inside the JS call under way.
  void CheckSoon();

  // Keep the loop alive, and the JS engine that pins the ops' memory
  // reachable, while ops are pending (on), or not (off).
  void KeepAlive(bool on);

  // Hand the first `count` pairs of completions() to JS in one call, inside a
  // callback scope (so promise reactions run). An exception escaping it is
  // reported as uncaught rather than losing the rest of the drain. lib/ marks
  // each pair it takes (id kTaken); false when the call stopped partway with
  // pairs untaken — the JS environment is being torn down (a worker
  // terminated mid-drain): stop draining, and leave them for the teardown.
  bool Deliver(unsigned count);

  // The fd pair `i` written into `out` carries (an open's result, an fd the
  // pool handed over), or -1: closed by CloseUntakenFds if JS never takes
  // it. `out` is completions() (for the next Deliver) or the array of the
  // synchronous wait under way (UseSyncArray); other arrays are not tracked.
  void SetPairFd(const int32_t* out, unsigned i, int fd) {
    if (out == completions_) pair_fds_[i] = fd;
    else if (out == sync_out_) sync_fds_[i] = fd;
  }
  // A synchronous wait copies pairs into `array` (the Int32Array `out` of
  // `cap` pairs) for JS to take after it returns; `count` of them now.
  void UseSyncArray(Napi::Value array, int32_t* out, unsigned cap);
  void SyncPairs(unsigned count) { sync_count_ = count; }
  // A Deliver left pairs untaken: JS no longer runs here (the environment is
  // being torn down), and draining again would overwrite them.
  bool stalled() const { return untaken_ > 0; }
  // At environment teardown: close the fds of the pairs JS did not take — of
  // an interrupted Deliver, or of the last synchronous wait.
  void CloseUntakenFds();

  // Stop watching and release JS references. The cleanup hook is removed
  // once the handle has closed (a later loop turn), which is when the
  // environment may finish its teardown. The eventfd stays the owner's.
  void Close();

  // Accounting shared by both backends, read by Ring.stats() in lib/.
  // An op was queued: the first pending op keeps the loop alive.
  void OpStarted();
  // `n` ops' completions were reaped: the last one lets the loop go.
  void OpsFinished(uint64_t n);
  // An op made of many SQEs (a file group) finished; its CQEs were counted
  // one by one as they were reaped (CountReaped).
  void CompoundOpFinished() {
    completed_--;
    OpsFinished(1);
  }
  void CountReaped() { completed_++; }
  uint64_t pending() const { return pending_; }
  // `n` ops went to the kernel (or the workers) in one submit (hand-off).
  void CountSubmit(unsigned n);
  void CountEnter() { enters_++; }
  void CountOverflow() { overflows_++; }
  // [submitted, enters, completed, pending, maxPending, overflows, then
  // kHistogramBuckets counts of ops per submit: 1, 2-3, 4-7, ... 512+]
  Napi::Value Counters(Napi::Env env) const;

  // Open() was called and Close() not yet.
  bool is_open() const { return watcher_ != nullptr; }
  int32_t* completions() const { return completions_; }
  unsigned capacity() const { return capacity_; }
  int32_t* state() const { return state_; }

 private:
  struct Watcher;
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  static void OnResume(uv_idle_t* handle);
  static void OnAsync(uv_async_t* handle);
  uv_handle_t* WakeHandle() const;
  static void OnAsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg);

  napi_env env_ = nullptr;
  Watcher* watcher_ = nullptr;  // heap: outlives the owner until its handle is closed
  napi_async_context async_context_ = nullptr;
  Napi::FunctionReference on_completions_;  // strong only while kept alive
  Napi::Reference<Napi::Int32Array> completions_ref_;
  int32_t* completions_ = nullptr;
  unsigned capacity_ = 0;
  int32_t* state_ = nullptr;
  std::vector<int> pair_fds_;  // by pair of completions()
  unsigned untaken_ = 0;  // pairs of the last Deliver that JS did not take
  Napi::Reference<Napi::Value> sync_ref_;  // keeps sync_out_ alive
  int32_t* sync_out_ = nullptr;
  std::vector<int> sync_fds_;
  unsigned sync_count_ = 0;
  uint64_t pending_ = 0;  // ops queued whose completion has not been reaped
  bool watchdog_armed_ = false;  // stopped lazily, by a period that finds nothing pending
  uint64_t submitted_ = 0, enters_ = 0, completed_ = 0, overflows_ = 0, max_pending_ = 0;
  static constexpr unsigned kHistogramBuckets = 10;
  uint64_t per_submit_[kHistogramBuckets] = {};
};

}  // namespace uringfs
