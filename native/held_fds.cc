// Fds lib/ holds between the steps of an operation: a file of readFiles
// between its open and its close, the fd of a FileHandle or a Dir. When a JS
// environment is torn down (a worker terminated, or the process exiting) no
// JS runs any more to close them. lib/ lists them in a table this file owns;
// the environment's cleanup hook, added when the addon is loaded (before any
// ring exists, so it runs after every ring's teardown — the hooks run in
// reverse order), closes what is listed.
//
// Where native code opens an fd that lib/ keeps (a Dir's, a scan's), native
// code lists it in a slot lib/ reserved, and takes it out of its slot to close
// it: the termination of a worker can cut JS short between any two statements,
// never inside one native call, so the fd is always either listed or closed.
//
// Entries: -1 free; fd >= 0 held; ~fd (<= -2) being closed by an op that may
// or may not have run, which the hook leaves alone rather than risk closing
// an fd number another thread has been given since.
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include "common.h"

namespace uringfs {

struct HeldFds {
  napi_ref table_ref = nullptr;  // keeps the table's ArrayBuffer (and so `table`) alive
  int32_t* table = nullptr;
  size_t count = 0;
};

bool HoldFd(HeldFds* held, int64_t slot, int fd) {
  if (slot < 0 || static_cast<size_t>(slot) >= held->count || held->table[slot] != -1) return false;
  held->table[slot] = fd;
  return true;
}

int TakeHeldFd(HeldFds* held, int64_t slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= held->count || held->table[slot] == -1) return -EBADF;
  int entry = held->table[slot];
  held->table[slot] = -1;
  return entry >= 0 ? entry : ~entry;  // ~fd: a close op that did not run, the caller knows
}

namespace {

void CloseHeldFds(void* arg) {
  auto* held = static_cast<HeldFds*>(arg);
  for (size_t i = 0; i < held->count; i++) {
    if (held->table[i] >= 0) close(held->table[i]);
  }
  delete held;
}

// heldFds(count): a new table of `count` entries (an Int32Array), holding
// the entries of the one before it and -1 after them; the hook reads this
// one from now on. Copying here, not in JS, leaves no moment in which an
// entry is in neither table.
Napi::Value NewTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* held = static_cast<HeldFds*>(info.Data());
  size_t count = info[0].As<Napi::Number>().Uint32Value();
  if (count < held->count) count = held->count;
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, count * sizeof(int32_t));
  auto* table = static_cast<int32_t*>(buffer.Data());
  if (held->count > 0) memcpy(table, held->table, held->count * sizeof(int32_t));
  for (size_t i = held->count; i < count; i++) table[i] = -1;
  napi_ref ref = nullptr;
  if (napi_create_reference(env, buffer, 1, &ref) != napi_ok) {
    Napi::Error::New(env, "uringfs: cannot keep the held-fd table").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (held->table_ref != nullptr) napi_delete_reference(env, held->table_ref);
  held->table_ref = ref;
  held->table = table;
  held->count = count;
  return Napi::Int32Array::New(env, count, buffer, 0);
}

// closeHeld(slot): the slot's fd taken out of the table and closed, in one call: 0, or -errno
// (-EBADF for a slot that holds no fd).
Napi::Value CloseHeld(const Napi::CallbackInfo& info) {
  int fd = TakeHeldFd(static_cast<HeldFds*>(info.Data()), info[0].As<Napi::Number>().Int64Value());
  int result = fd < 0 ? fd : (close(fd) < 0 ? -errno : 0);
  return Napi::Number::New(info.Env(), result);
}

}  // namespace

HeldFds* InitHeldFds(Napi::Env env, Napi::Object exports) {
  auto* held = new HeldFds();
  napi_add_env_cleanup_hook(env, CloseHeldFds, held);
  exports.Set("heldFds", Napi::Function::New(env, NewTable, "heldFds", held));
  exports.Set("closeHeld", Napi::Function::New(env, CloseHeld, "closeHeld", held));
  return held;
}

}  // namespace uringfs
