// probeIoUring(): which io_uring opcodes this kernel supports, for lib/'s
// backend choice. Sets up a small ring of its own (io_uring_get_probe), so
// it also tells whether io_uring_setup is allowed at all.
#include <liburing.h>
#include <cerrno>
#include "common.h"

namespace uringfs {
namespace {

// Returns an array of the supported opcode numbers, or a negative errno
// when no ring could be set up or the kernel has no probe (before 5.6).
Napi::Value ProbeIoUring(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io_uring ring{};
  int r = io_uring_queue_init(2, &ring, 0);
  if (r < 0) return Napi::Number::New(env, r);
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  io_uring_queue_exit(&ring);
  if (probe == nullptr) return Napi::Number::New(env, -EINVAL);
  Napi::Array supported = Napi::Array::New(env);
  uint32_t n = 0;
  for (int op = 0; op <= probe->last_op; op++) {
    if (io_uring_opcode_supported(probe, op)) supported.Set(n++, Napi::Number::New(env, op));
  }
  io_uring_free_probe(probe);
  return supported;
}

}  // namespace

Napi::Object InitProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("probeIoUring", Napi::Function::New(env, ProbeIoUring, "probeIoUring"));
  return exports;
}

}  // namespace uringfs
