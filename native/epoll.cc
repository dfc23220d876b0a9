// The readiness API: one epoll set per Poller, its fd watched by a uv_poll on
// the environment's own loop. Each registration is known here by a token
// (chosen by lib/epoll.ts) and its fd; the kernel reports tokens, and events
// reach JS as [token, events] pairs in a shared Int32Array, one JS call per
// batch. lib/ decides when the set is watched and whether that keeps the loop
// alive (setWatching); this file only does the syscalls and keeps the kernel's
// interest set and its own table in step.
//
// Closed fds: the kernel drops an item silently when the last reference to its
// file goes away, and keeps it (reporting events under our token) while a dup
// of the fd lives elsewhere, e.g. in a child process. `StillOpen` tells whether
// a registration's fd still refers to the registered file; an event for a token
// no longer in the table means such an orphaned item, which cannot be deleted
// through any fd we own, so the whole set is rebuilt without it.
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>
#include "common.h"

namespace uringfs {
namespace {

// A pseudo event bit marking "this registration's fd was found closed". It is
// EPOLLONESHOT, an input-only flag the kernel never reports.
constexpr uint32_t kFdClosed = EPOLLONESHOT;
constexpr uint32_t kInputOnly = EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE | EPOLLWAKEUP;
// Batches collected per wake-up before yielding to the loop, so that more
// always-ready level-triggered fds than one batch holds cannot starve it.
constexpr int kMaxBatchesPerWakeup = 16;

class Epoll;

// Owns the uv_poll handle and the environment cleanup hook, and outlives its
// Epoll until libuv has closed the handle: the hook is removed only then, so
// environment teardown keeps running the loop until the close is done.
struct Watcher {
  uv_poll_t poll;
  Epoll* owner = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
};

struct Entry {
  int fd;
  uint32_t events;  // as last given to epoll_ctl, EPOLLET/EPOLLONESHOT included
  bool in_kernel;   // false after a rebuild left out a fired one-shot item
  bool fired;       // a one-shot item that fired and was not re-armed
  dev_t dev;        // identity, for when kcmp is not available
  ino_t ino;
};

class Epoll : public Napi::ObjectWrap<Epoll> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Epoll(const Napi::CallbackInfo& info);
  ~Epoll() override { Teardown(); }
  void Teardown();

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Modify(const Napi::CallbackInfo& info);
  Napi::Value Remove(const Napi::CallbackInfo& info);
  Napi::Value Check(const Napi::CallbackInfo& info);
  Napi::Value Sweep(const Napi::CallbackInfo& info);
  Napi::Value Wait(const Napi::CallbackInfo& info);
  Napi::Value SetWatching(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);

  bool StillOpen(const Entry& e);
  int Collect(int32_t* out, unsigned cap, int timeout, bool* more);
  void Rebuild();
  void OnReadable();
  void Deliver(unsigned count);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnCleanup(napi_async_cleanup_hook_handle handle, void* arg);

  napi_env env_ = nullptr;
  int epfd_ = -1;
  bool closed_ = false;
  bool watching_ = false;
  bool kcmp_works_ = true;  // until kcmp says ENOSYS/EPERM (no CONFIG_KCMP, seccomp)
  Watcher* watcher_ = nullptr;  // heap: freed by the handle's close callback
  napi_async_context async_context_ = nullptr;
  // Weak: the function itself is kept alive by a property of this object's
  // wrapper, and the wrapper is held strongly (ObjectWrap::Ref) only while
  // watching, so an idle Poller can be collected and finalized.
  Napi::FunctionReference on_events_;
  Napi::Reference<Napi::Int32Array> events_ref_, wait_events_ref_;
  int32_t* events_ = nullptr;       // [token, events] pairs for onEvents
  int32_t* wait_events_ = nullptr;  // [token, events] pairs for wait() and sweep()
  unsigned cap_ = 0;                // pairs in each
  std::vector<epoll_event> ready_;
  std::unordered_map<int32_t, Entry> entries_;
  std::vector<int32_t> closed_tokens_;  // found closed by a rebuild, not yet reported
  uint64_t wakeups_ = 0, batches_ = 0, delivered_ = 0, rebuilds_ = 0, closed_fds_ = 0;
};

Napi::Function Epoll::Define(Napi::Env env) {
  return DefineClass(env, "Epoll", {
    InstanceMethod<&Epoll::Add>("add"),
    InstanceMethod<&Epoll::Modify>("modify"),
    InstanceMethod<&Epoll::Remove>("remove"),
    InstanceMethod<&Epoll::Check>("check"),
    InstanceMethod<&Epoll::Sweep>("sweep"),
    InstanceMethod<&Epoll::Wait>("wait"),
    InstanceMethod<&Epoll::SetWatching>("setWatching"),
    InstanceMethod<&Epoll::Close>("close"),
    InstanceMethod<&Epoll::Counters>("counters"),
  });
}

// new Epoll(maxEvents, onEvents(count))
Epoll::Epoll(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Epoll>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  cap_ = info[0].As<Napi::Number>().Uint32Value();
  auto fail = [&](int err, const char* syscall) { ThrowSyscallError(env, err, syscall); };
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) { closed_ = true; fail(-errno, "epoll_create1"); return; }

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  watcher_ = new Watcher;
  int r = uv_poll_init(loop, &watcher_->poll, epfd_);
  if (r != 0) {
    delete watcher_;  // never initialised: nothing for libuv to close
    watcher_ = nullptr;
    close(epfd_);
    epfd_ = -1;
    closed_ = true;
    fail(r, "uv_poll_init");
    return;
  }
  watcher_->owner = this;
  watcher_->poll.data = watcher_;
  uv_unref(reinterpret_cast<uv_handle_t*>(&watcher_->poll));
  napi_add_async_cleanup_hook(env, OnCleanup, watcher_, &watcher_->hook);
  napi_async_init(env, Value(), Napi::String::New(env, "uringfs:epoll"), &async_context_);

  ready_.resize(cap_);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, cap_ * 2 * sizeof(int32_t));
  Napi::Int32Array events = Napi::Int32Array::New(env, cap_ * 2, ab, 0);
  events_ = static_cast<int32_t*>(ab.Data());
  events_ref_ = Napi::Persistent(events);
  Napi::ArrayBuffer wab = Napi::ArrayBuffer::New(env, cap_ * 2 * sizeof(int32_t));
  Napi::Int32Array wait_events = Napi::Int32Array::New(env, cap_ * 2, wab, 0);
  wait_events_ = static_cast<int32_t*>(wab.Data());
  wait_events_ref_ = Napi::Persistent(wait_events);
  on_events_ = Napi::Weak(info[1].As<Napi::Function>());

  Napi::Object self = info.This().As<Napi::Object>();
  self.DefineProperty(Napi::PropertyDescriptor::Value("onEvents", info[1], napi_default));
  self.Set("events", events);
  self.Set("waitEvents", wait_events);
  self.Set("fd", Napi::Number::New(env, epfd_));
}

// Whether e.fd still refers to the file registered under it. kcmp asks the
// kernel exactly that (is the file at fd the one in our set under fd?); the
// fallback compares device and inode, which cannot tell two opens of one file
// apart.
bool Epoll::StillOpen(const Entry& e) {
  if (e.in_kernel && kcmp_works_) {
    kcmp_epoll_slot slot{static_cast<__u32>(epfd_), static_cast<__u32>(e.fd), 0};
    pid_t pid = getpid();
    long r = syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, e.fd, &slot);
    if (r == 0) return true;
    if (r > 0 || errno == EBADF || errno == ENOENT) return false;
    kcmp_works_ = false;
  }
  struct stat st;
  if (fstat(e.fd, &st) != 0) return false;
  return st.st_dev == e.dev && st.st_ino == e.ino;
}

// add(fd, events, token) -> 0 | -errno
Napi::Value Epoll::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, -EBADF);
  int fd = IntArg(info[0]);
  uint32_t events = static_cast<uint32_t>(IntArg(info[1]));
  int32_t token = IntArg(info[2]);
  struct stat st;
  if (fstat(fd, &st) != 0) return Napi::Number::New(env, -errno);
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = static_cast<uint32_t>(token);
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return Napi::Number::New(env, -errno);
  entries_[token] = Entry{fd, events, true, false, st.st_dev, st.st_ino};
  return Napi::Number::New(env, 0);
}

// modify(token, events) -> 0 | -errno. Re-arms a fired one-shot item. lib/
// keeps one live registration per fd number, so EPOLL_CTL_MOD on e.fd can only
// reach this registration's item; ENOENT/EBADF mean its file is gone, and the
// entry is dropped.
Napi::Value Epoll::Modify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, -EBADF);
  auto it = entries_.find(IntArg(info[0]));
  if (it == entries_.end()) return Napi::Number::New(env, -ENOENT);
  Entry& e = it->second;
  epoll_event ev{};
  ev.events = static_cast<uint32_t>(IntArg(info[1]));
  ev.data.u64 = static_cast<uint32_t>(it->first);
  int r;
  if (e.in_kernel) {
    r = epoll_ctl(epfd_, EPOLL_CTL_MOD, e.fd, &ev);
  } else if (StillOpen(e)) {
    // Left out by a rebuild while disarmed: add it back (after checking the fd
    // was not reused, or another file would be watched under this token).
    r = epoll_ctl(epfd_, EPOLL_CTL_ADD, e.fd, &ev);
  } else {
    r = -1;
    errno = EBADF;
  }
  if (r != 0) {
    int err = -errno;
    if (err == -ENOENT || err == -EBADF) entries_.erase(it);
    return Napi::Number::New(env, err);
  }
  e.events = ev.events;
  e.in_kernel = true;
  e.fired = false;
  return Napi::Number::New(env, 0);
}

// remove(token) -> 0 | -errno. A registration whose file is already gone
// (ENOENT, EBADF) is simply forgotten.
Napi::Value Epoll::Remove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto it = entries_.find(IntArg(info[0]));
  if (closed_ || it == entries_.end()) return Napi::Number::New(env, 0);
  int r = 0;
  if (it->second.in_kernel) {
    epoll_event ev{};  // ignored by the kernel, but must not be NULL before 2.6.9
    if (epoll_ctl(epfd_, EPOLL_CTL_DEL, it->second.fd, &ev) != 0 && errno != ENOENT && errno != EBADF) r = -errno;
  }
  entries_.erase(it);
  return Napi::Number::New(env, r);
}

// check(token) -> 1 when the registration's fd still refers to its file, 0
// when not (the entry is dropped), -ENOENT for an unknown token.
Napi::Value Epoll::Check(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto it = entries_.find(IntArg(info[0]));
  if (closed_ || it == entries_.end()) return Napi::Number::New(env, -ENOENT);
  if (StillOpen(it->second)) return Napi::Number::New(env, 1);
  entries_.erase(it);
  closed_fds_++;
  return Napi::Number::New(env, 0);
}

// sweep() -> count: drops the registrations whose fd was closed and writes
// [token, kFdClosed] for each into waitEvents (at most one batch per call).
Napi::Value Epoll::Sweep(const Napi::CallbackInfo& info) {
  unsigned n = 0;
  if (!closed_) {
    while (n < cap_ && !closed_tokens_.empty()) {
      wait_events_[2 * n] = closed_tokens_.back();
      wait_events_[2 * n + 1] = static_cast<int32_t>(kFdClosed);
      closed_tokens_.pop_back();
      n++;
    }
    for (auto it = entries_.begin(); it != entries_.end() && n < cap_;) {
      if (StillOpen(it->second)) { ++it; continue; }
      wait_events_[2 * n] = it->first;
      wait_events_[2 * n + 1] = static_cast<int32_t>(kFdClosed);
      n++;
      closed_fds_++;
      it = entries_.erase(it);
    }
  }
  return Napi::Number::New(info.Env(), n);
}

// Fill `out` with up to `cap` [token, events] pairs: first the tokens a
// rebuild found closed, then what epoll_wait reports (waiting up to `timeout`
// ms only when there is nothing else). Returns the pair count or -errno;
// *more is true when epoll_wait filled all the room it was given.
int Epoll::Collect(int32_t* out, unsigned cap, int timeout, bool* more) {
  unsigned n = 0;
  *more = false;
  while (n < cap && !closed_tokens_.empty()) {
    out[2 * n] = closed_tokens_.back();
    out[2 * n + 1] = static_cast<int32_t>(kFdClosed);
    closed_tokens_.pop_back();
    n++;
  }
  if (n == cap) { *more = true; return static_cast<int>(n); }
  unsigned room = cap - n;
  int r = epoll_wait(epfd_, ready_.data(), static_cast<int>(room), n > 0 ? 0 : timeout);
  if (r < 0) return n > 0 ? static_cast<int>(n) : -errno;
  bool stray = false;
  for (int i = 0; i < r; i++) {
    int32_t token = static_cast<int32_t>(ready_[i].data.u64);
    auto it = entries_.find(token);
    if (it == entries_.end()) { stray = true; continue; }
    if (it->second.events & EPOLLONESHOT) it->second.fired = true;
    out[2 * n] = token;
    out[2 * n + 1] = static_cast<int32_t>(ready_[i].events & ~kInputOnly);
    n++;
    delivered_++;
  }
  *more = static_cast<unsigned>(r) == room;
  if (stray) Rebuild();
  return static_cast<int>(n);
}

// Replace the kernel's set by a fresh one holding only the live entries; the
// orphaned items go away with the old set. The fd number stays the same
// (dup3), and the watcher is stopped meanwhile so that libuv never polls an fd
// while it is being replaced.
void Epoll::Rebuild() {
  int fresh = epoll_create1(EPOLL_CLOEXEC);
  if (fresh < 0) return;  // keep the old set; the next stray event tries again
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    bool open = StillOpen(e);  // asked of the old set, which still has the item
    if (open && e.in_kernel && !e.fired) {
      epoll_event ev{};
      ev.events = e.events;
      ev.data.u64 = static_cast<uint32_t>(it->first);
      open = epoll_ctl(fresh, EPOLL_CTL_ADD, e.fd, &ev) == 0;
    } else if (open) {
      e.in_kernel = false;  // disarmed: modify() adds it back
    }
    if (!open) {
      closed_tokens_.push_back(it->first);
      closed_fds_++;
      it = entries_.erase(it);
      continue;
    }
    ++it;
  }
  if (watching_) uv_poll_stop(&watcher_->poll);
  int r;
  do { r = dup3(fresh, epfd_, O_CLOEXEC); } while (r < 0 && errno == EINTR);
  close(fresh);
  if (watching_) uv_poll_start(&watcher_->poll, UV_READABLE, OnPoll);
  rebuilds_++;
}

// wait(timeoutMs) -> count | -errno: blocks this thread in epoll_wait and
// writes [token, events] pairs into waitEvents, without calling JS. Entries
// for closed fds (kFdClosed) come along but do not end the wait by themselves.
Napi::Value Epoll::Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, -EBADF);
  int timeout = IntArg(info[0]);
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  auto remaining = [&]() -> int {
    if (timeout <= 0) return timeout;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    return elapsed >= timeout ? 0 : static_cast<int>(timeout - elapsed);
  };
  unsigned n = 0;
  for (;;) {
    bool more = false;
    int t = remaining();
    int r = Collect(wait_events_ + 2 * n, cap_ - n, t, &more);
    if (r == -EINTR) {
      if (t == 0) break;
      continue;
    }
    if (r < 0) return Napi::Number::New(env, n > 0 ? static_cast<int>(n) : r);
    bool real = false;
    for (unsigned i = n; i < n + static_cast<unsigned>(r); i++) {
      if (static_cast<uint32_t>(wait_events_[2 * i + 1]) != kFdClosed) real = true;
    }
    n += static_cast<unsigned>(r);
    if (real || n == cap_ || t == 0) break;
  }
  return Napi::Number::New(env, n);
}

// setWatching(watch, keepAlive): watch the epoll fd on the loop (this object,
// and so its callback, is held strongly meanwhile), and whether that keeps the
// loop alive.
Napi::Value Epoll::SetWatching(const Napi::CallbackInfo& info) {
  bool watch = info[0].ToBoolean();
  bool keep_alive = info[1].ToBoolean();
  if (closed_) return info.Env().Undefined();
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&watcher_->poll);
  if (watch && !watching_) {
    uv_poll_start(&watcher_->poll, UV_READABLE, OnPoll);
    Ref();
    watching_ = true;
  } else if (!watch && watching_) {
    uv_poll_stop(&watcher_->poll);
    Unref();
    watching_ = false;
  }
  if (keep_alive) uv_ref(handle); else uv_unref(handle);
  return info.Env().Undefined();
}

void Epoll::OnPoll(uv_poll_t* handle, int status, int events) {
  Epoll* self = static_cast<Watcher*>(handle->data)->owner;
  if (self != nullptr && !self->closed_) self->OnReadable();
}

// Collect with timeout 0 and hand each batch to JS, until epoll_wait returns
// less than a batch (or the batch limit per wake-up is reached: the fd stays
// readable, so the loop comes back).
void Epoll::OnReadable() {
  wakeups_++;
  Napi::HandleScope scope(env_);
  for (int i = 0; i < kMaxBatchesPerWakeup && !closed_ && watching_; i++) {
    bool more = false;
    int n = Collect(events_, cap_, 0, &more);
    if (n > 0) Deliver(static_cast<unsigned>(n));
    if (n < 0 ? n != -EINTR : !more) break;
  }
}

// One JS call, inside a callback scope (napi_make_callback) so that promise
// reactions and nextTicks queued by the handlers run before returning.
void Epoll::Deliver(unsigned count) {
  Napi::Function fn = on_events_.Value();
  if (fn.IsEmpty()) return;
  batches_++;
  napi_value argv[1] = {Napi::Number::New(env_, count)};
  napi_value result;
  napi_status st = napi_make_callback(env_, async_context_, Value(), fn, 1, argv, &result);
  if (st == napi_pending_exception) {
    // lib/ never throws out of the dispatcher; if something did, report it as
    // uncaught rather than losing it.
    napi_value err;
    napi_get_and_clear_last_exception(env_, &err);
    napi_fatal_exception(env_, err);
  }
}

// Close the epoll fd (which drops every item) and the watcher. Safe to call
// more than once; used by close(), the finalizer and the cleanup hook.
void Epoll::Teardown() {
  if (closed_ && watcher_ == nullptr) return;
  closed_ = true;
  if (watcher_ != nullptr) {
    watcher_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&watcher_->poll), [](uv_handle_t* h) {
      Watcher* w = static_cast<Watcher*>(h->data);
      if (w->hook != nullptr) napi_remove_async_cleanup_hook(w->hook);
      delete w;
    });
    watcher_ = nullptr;
  }
  if (watching_) {
    watching_ = false;
    Unref();  // never reached from the finalizer: a watching wrapper is held strongly
  }
  if (epfd_ >= 0) { close(epfd_); epfd_ = -1; }
  entries_.clear();
  closed_tokens_.clear();
  if (async_context_ != nullptr) {
    napi_async_destroy(env_, async_context_);
    async_context_ = nullptr;
  }
  if (!on_events_.IsEmpty()) on_events_.Reset();
}

// Environment teardown (process exit, worker termination). When the owner is
// already gone, its watcher is closing and the close callback removes the hook.
void Epoll::OnCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  Watcher* w = static_cast<Watcher*>(arg);
  if (w->owner != nullptr) w->owner->Teardown();
}

Napi::Value Epoll::Close(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

// counters(): [wakeups, batches, events, rebuilds, closedFds, registrations]
Napi::Value Epoll::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t values[] = {wakeups_, batches_, delivered_, rebuilds_, closed_fds_, entries_.size()};
  Napi::Array a = Napi::Array::New(env, 6);
  for (uint32_t i = 0; i < 6; i++) a.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return a;
}

}  // namespace

Napi::Object InitEpoll(Napi::Env env, Napi::Object exports) {
  exports.Set("Epoll", Epoll::Define(env));
  return exports;
}

}  // namespace uringfs
