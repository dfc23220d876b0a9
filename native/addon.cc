// Module entry: exports the io_uring Ring class, the thread-pool ThreadRing
// with the same interface, the io_uring probe, the direct-syscall functions
// of the sync flavour, the Epoll class of the readiness API, the directory
// functions (getdents64), the table of fds lib/ holds, the log's CRC32C and large-file
// memory. All state lives in those instances (the table: one per environment) or on the
// stack, so every worker thread is independent; the one exception is the count of
// large-file memory held (large_memory.cc), which is the process's as the memory is.
#include <sys/uio.h>
#include "common.h"

namespace uringfs {

int FillIovecs(Napi::Array views, Bytes iov_out) {
  uint32_t n = views.Length();
  if (static_cast<size_t>(n) * sizeof(struct iovec) > iov_out.length || iov_out.data == nullptr) {
    return n == 0 ? 0 : -EFAULT;
  }
  auto* iov = reinterpret_cast<struct iovec*>(iov_out.data);
  for (uint32_t i = 0; i < n; i++) {
    Bytes b = ViewBytes(views.Get(i));
    iov[i].iov_base = b.data;
    iov[i].iov_len = b.length;
  }
  return static_cast<int>(n);
}

}  // namespace uringfs

static Napi::Object InitUringfs(Napi::Env env, Napi::Object exports) {
  uringfs::HeldFds* held = uringfs::InitHeldFds(env, exports);
  uringfs::InitRing(env, exports);
  uringfs::InitSync(env, exports);
  uringfs::InitThreads(env, exports);
  uringfs::InitProbe(env, exports);
  uringfs::InitEpoll(env, exports);
  uringfs::InitDirs(env, exports, held);
  uringfs::InitCrc32c(env, exports);
  uringfs::InitLargeMemory(env, exports);
  return exports;
}

NODE_API_MODULE(uringfs, InitUringfs)
