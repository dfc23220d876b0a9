#include "completion_port.h"
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uringfs {

namespace {
// The "eventfd-id" of /proc/self/fdinfo/<fd>, or -1.
long long EventfdId(int fd) {
  char path[48];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int info = open(path, O_RDONLY | O_CLOEXEC);
  if (info < 0) return -1;
  char text[512];
  ssize_t n;
  while ((n = read(info, text, sizeof text - 1)) < 0 && errno == EINTR) {}
  close(info);
  if (n <= 0) return -1;
  text[n] = 0;
  const char* line = strstr(text, "eventfd-id:");
  return line == nullptr ? -1 : strtoll(line + strlen("eventfd-id:"), nullptr, 10);
}
}  // namespace

FileId FileId::Of(int fd) {
  struct stat st;
  FileId id;
  if (fd >= 0 && fstat(fd, &st) == 0) {
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.eventfd_id = EventfdId(fd);
  }
  return id;
}

bool FileId::Names(int fd) const {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_dev != dev || st.st_ino != ino) return false;
  return eventfd_id < 0 || EventfdId(fd) == eventfd_id;
}

struct CompletionPort::Watcher {
  uv_poll_t poll;  // with an eventfd
  uv_async_t async;  // without
  bool polls = true;
  uv_timer_t watchdog;
  uv_idle_t resume;
  Owner* owner = nullptr;  // null once the port is closed
  CompletionPort* port = nullptr;
  int open_handles = 0;  // freed when every handle has closed
  napi_async_cleanup_hook_handle hook = nullptr;
};

CompletionPort::OpenResult CompletionPort::Open(Napi::Env env, Napi::Object self, const char* resource_name, int eventfd,
                                                unsigned capacity, Napi::Function on_completions, Owner* owner) {
  env_ = env;
  // The JS values first, with plain N-API calls: while the environment is being torn down (a
  // worker terminated) they fail, and node-addon-api's wrappers would abort the process there.
  napi_value ab, completions, state_ab, state, name;
  void* completions_data = nullptr;
  void* state_data = nullptr;
  napi_ref completions_ref = nullptr, on_completions_ref = nullptr;
  if (napi_create_arraybuffer(env, capacity * 2 * sizeof(int32_t), &completions_data, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, capacity * 2, ab, 0, &completions) != napi_ok ||
      napi_create_arraybuffer(env, kStateSlots * sizeof(int32_t), &state_data, &state_ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, kStateSlots, state_ab, 0, &state) != napi_ok ||
      napi_create_string_utf8(env, resource_name, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_set_named_property(env, self, "completions", completions) != napi_ok ||
      napi_set_named_property(env, self, "state", state) != napi_ok) {
    return kNoJs;
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  auto* watcher = new Watcher;
  if (eventfd >= 0 && uv_poll_init(loop, &watcher->poll, eventfd) != 0) {
    delete watcher;
    return kFdWatched;
  }
  if (napi_create_reference(env, completions, 1, &completions_ref) != napi_ok ||
      napi_create_reference(env, on_completions, 0, &on_completions_ref) != napi_ok ||
      napi_async_init(env, self, name, &async_context_) != napi_ok) {
    if (completions_ref != nullptr) napi_delete_reference(env, completions_ref);
    if (on_completions_ref != nullptr) napi_delete_reference(env, on_completions_ref);
    if (eventfd >= 0) {
      // Nothing started on the handle yet: closed, and freed, on the loop's next turn.
      watcher->poll.data = watcher;
      uv_close(reinterpret_cast<uv_handle_t*>(&watcher->poll), [](uv_handle_t* h) { delete static_cast<Watcher*>(h->data); });
    } else {
      delete watcher;
    }
    return kNoJs;
  }
  watcher_ = watcher;
  watcher_->owner = owner;
  watcher_->port = this;
  watcher_->polls = eventfd >= 0;
  if (watcher_->polls) {
    watcher_->poll.data = watcher_;
    uv_poll_start(&watcher_->poll, UV_READABLE, OnPoll);
  } else {
    uv_async_init(loop, &watcher_->async, OnAsync);
    watcher_->async.data = watcher_;
  }
  uv_unref(WakeHandle());
  uv_timer_init(loop, &watcher_->watchdog);
  watcher_->watchdog.data = watcher_;
  uv_unref(reinterpret_cast<uv_handle_t*>(&watcher_->watchdog));
  uv_idle_init(loop, &watcher_->resume);
  watcher_->resume.data = watcher_;
  uv_unref(reinterpret_cast<uv_handle_t*>(&watcher_->resume));
  watcher_->open_handles = 3;

  capacity_ = capacity;
  pair_fds_.assign(capacity, -1);
  completions_ = static_cast<int32_t*>(completions_data);
  completions_ref_ = Napi::Reference<Napi::Int32Array>(env, completions_ref);
  state_ = static_cast<int32_t*>(state_data);
  on_completions_ = Napi::FunctionReference(env, on_completions_ref);
  napi_add_async_cleanup_hook(env, OnAsyncCleanup, watcher_, &watcher_->hook);
  return kOpened;
}

uv_handle_t* CompletionPort::WakeHandle() const {
  return watcher_->polls ? reinterpret_cast<uv_handle_t*>(&watcher_->poll) : reinterpret_cast<uv_handle_t*>(&watcher_->async);
}

void CompletionPort::Wake() {
  uv_async_send(&watcher_->async);
}

void CompletionPort::KeepAlive(bool on) {
  if (watcher_ == nullptr) return;
  uv_handle_t* handle = WakeHandle();
  if (on) {
    uv_ref(handle);
    on_completions_.Ref();
  } else {
    uv_unref(handle);
    on_completions_.Unref();
  }
}

void CompletionPort::OpStarted() {
  if (pending_++ == 0) {
    KeepAlive(true);
    if (!watchdog_armed_ && watcher_ != nullptr) {
      uv_timer_start(&watcher_->watchdog, OnTimer, kWatchdogMs, kWatchdogMs);
      watchdog_armed_ = true;
    }
  }
  if (pending_ > max_pending_) max_pending_ = pending_;
}

void CompletionPort::ResumeSoon() {
  if (watcher_ != nullptr) uv_idle_start(&watcher_->resume, OnResume);
}

void CompletionPort::CheckSoon() {
  if (watcher_ == nullptr) return;
  uv_timer_start(&watcher_->watchdog, OnTimer, 0, kWatchdogMs);
  watchdog_armed_ = true;
}

void CompletionPort::OpsFinished(uint64_t n) {
  completed_ += n;
  pending_ -= n;
  if (pending_ == 0) KeepAlive(false);
}

void CompletionPort::CountSubmit(unsigned n) {
  if (n == 0) return;
  submitted_ += n;
  unsigned bucket = 0;
  for (unsigned v = n; v > 1 && bucket + 1 < kHistogramBuckets; v >>= 1) bucket++;
  per_submit_[bucket]++;
}

Napi::Value CompletionPort::Counters(Napi::Env env) const {
  const uint64_t values[] = {submitted_, enters_, completed_, pending_, max_pending_, overflows_};
  constexpr uint32_t kValues = sizeof values / sizeof values[0];
  Napi::Array a = Napi::Array::New(env, kValues + kHistogramBuckets);
  for (uint32_t i = 0; i < kValues; i++) a.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  for (uint32_t i = 0; i < kHistogramBuckets; i++) {
    a.Set(kValues + i, Napi::Number::New(env, static_cast<double>(per_submit_[i])));
  }
  return a;
}

bool CompletionPort::Deliver(unsigned count) {
  Napi::Function fn = on_completions_.Value();
  if (fn.IsEmpty()) return true;  // engine collected: nothing waits on these
  napi_value argv[1] = {Napi::Number::New(env_, count)};
  // napi_make_callback needs an object as the receiver; the dispatcher ignores it.
  napi_value receiver, result;
  napi_get_global(env_, &receiver);
  napi_status st = napi_make_callback(env_, async_context_, receiver, fn, 1, argv, &result);
  untaken_ = 0;
  if (st == napi_ok) return true;
  // JS stopped partway, or never ran: the environment is being torn down (a
  // worker terminated mid-drain, or before it: then the call fails without an
  // exception), or an exception escaped the dispatcher. The pairs it did not
  // take stay recorded for CloseUntakenFds, and no drain may overwrite them.
  for (unsigned i = 0; i < count; i++) {
    if (completions_[2 * i] != kTaken) untaken_ = count;
  }
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env_, &err);
    napi_fatal_exception(env_, err);
  }
  return untaken_ == 0;
}

void CompletionPort::UseSyncArray(Napi::Value array, int32_t* out, unsigned cap) {
  sync_count_ = 0;
  if (out != sync_out_) {
    sync_ref_ = Napi::Persistent(array);
    sync_out_ = out;
  }
  if (sync_fds_.size() < cap) sync_fds_.resize(cap, -1);
}

void CompletionPort::CloseUntakenFds() {
  for (unsigned i = 0; i < untaken_; i++) {
    if (completions_[2 * i] != kTaken && pair_fds_[i] >= 0) close(pair_fds_[i]);
  }
  untaken_ = 0;
  for (unsigned i = 0; i < sync_count_; i++) {
    if (sync_out_[2 * i] != kTaken && sync_fds_[i] >= 0) close(sync_fds_[i]);
  }
  sync_count_ = 0;
}

void CompletionPort::Close() {
  if (watcher_ != nullptr) {
    watcher_->owner = nullptr;
    watcher_->port = nullptr;
    if (watcher_->polls) uv_poll_stop(&watcher_->poll);
    uv_timer_stop(&watcher_->watchdog);
    uv_idle_stop(&watcher_->resume);
    auto closed = [](uv_handle_t* h) {
      auto* w = static_cast<Watcher*>(h->data);
      if (--w->open_handles > 0) return;
      if (w->hook != nullptr) napi_remove_async_cleanup_hook(w->hook);
      delete w;
    };
    uv_close(WakeHandle(), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&watcher_->watchdog), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&watcher_->resume), closed);
    watcher_ = nullptr;
    watchdog_armed_ = false;
  }
  if (async_context_ != nullptr) {
    napi_async_destroy(env_, async_context_);
    async_context_ = nullptr;
  }
  if (!on_completions_.IsEmpty()) on_completions_.Reset();
  if (!sync_ref_.IsEmpty()) sync_ref_.Reset();
  sync_out_ = nullptr;
  sync_count_ = 0;
  untaken_ = 0;
}

void CompletionPort::OnPoll(uv_poll_t* handle, int status, int events) {
  Owner* owner = static_cast<Watcher*>(handle->data)->owner;
  if (owner != nullptr) owner->OnReadable();
}

void CompletionPort::OnAsync(uv_async_t* handle) {
  Owner* owner = static_cast<Watcher*>(handle->data)->owner;
  if (owner != nullptr) owner->OnReadable();
}

void CompletionPort::OnResume(uv_idle_t* handle) {
  uv_idle_stop(handle);
  Owner* owner = static_cast<Watcher*>(handle->data)->owner;
  if (owner != nullptr) owner->OnReadable();
}

void CompletionPort::OnTimer(uv_timer_t* handle) {
  auto* w = static_cast<Watcher*>(handle->data);
  if (w->owner == nullptr) return;
  if (w->port->pending_ == 0) {
    uv_timer_stop(handle);
    w->port->watchdog_armed_ = false;
    return;
  }
  w->owner->OnWatchdog();
}

// The hook itself is removed by the watcher's close callback.
void CompletionPort::OnAsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  Owner* owner = static_cast<Watcher*>(arg)->owner;
  if (owner != nullptr) owner->OnEnvironmentTeardown();
}

}  // namespace uringfs
