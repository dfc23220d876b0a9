// Shared helpers for the native layer. The native layer trusts the argument
// types that lib/ validated, but still checks every byte range it is handed
// against the real size of the memory, so a bug above can never make the
// kernel touch memory outside a buffer.
#pragma once
#include <napi.h>
#include <unistd.h>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

namespace uringfs {

struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// The bytes behind a TypedArray, DataView or ArrayBuffer. A detached buffer
// yields { nullptr, 0 }.
inline Bytes ViewBytes(Napi::Value v) {
  napi_env env = v.Env();
  Bytes out;
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t count = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    napi_get_typedarray_info(env, v, &type, &count, &data, &ab, &offset);
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    out.data = static_cast<uint8_t*>(data);
    out.length = data ? count * elem : 0;
    return out;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    size_t len = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    napi_get_dataview_info(env, v, &len, &data, &ab, &offset);
    out.data = static_cast<uint8_t*>(data);
    out.length = data ? len : 0;
    return out;
  }
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void* data = nullptr;
    size_t len = 0;
    napi_get_arraybuffer_info(env, v, &data, &len);
    out.data = static_cast<uint8_t*>(data);
    out.length = data ? len : 0;
  }
  return out;
}

// A byte range [offset, offset + length) inside a view, or nullptr when it
// does not fit (the caller reports -EFAULT).
inline uint8_t* RangeIn(const Bytes& b, int64_t offset, int64_t length) {
  if (offset < 0 || length < 0) return nullptr;
  if (static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) > b.length) return nullptr;
  if (b.data == nullptr) return length == 0 ? reinterpret_cast<uint8_t*>(const_cast<char*>("")) : nullptr;
  return b.data + offset;
}

// A file position: a Number (-1 = the current position) or a BigInt.
inline int64_t PositionArg(Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  return static_cast<int64_t>(v.As<Napi::Number>().DoubleValue());
}

// The most bytes one read or write moves on Linux (MAX_RW_COUNT): longer
// requests are clamped to it rather than cut to 32 bits (an SQE's len).
constexpr int64_t kMaxRwCount = 0x7ffff000;

// A bit lib/ adds to setSqeFlags (not an IOSQE flag) for the reads and writes of the
// node:fs-shaped flavours, which promise pread/read semantics: see ProbeStream.
constexpr unsigned kProbeStreamFlag = 1u << 8;
// A queue method's answer for a read at the current position of a file that cannot seek (a
// pipe, FIFO, socket, tty): not queued; lib/ reads it into memory of its own instead, since
// such a read can wait without bound while the caller's buffer may be transferred and freed.
constexpr int kStreamRead = 2;

// For a read or write that promises node:fs semantics, made in the same native call that
// queues it (no extra crossing): lseek(fd, 0, SEEK_CUR) says ESPIPE exactly for what pread
// refuses (pipes, FIFOs, sockets, ttys). Then an explicit position is -ESPIPE, as pread says
// (io_uring and the pool would ignore it and consume data), and a read at the current
// position is kStreamRead. 0: queue it as it is (other errors, EBADF, are left to the op).
// A write at the current position needs no probe (nothing to refuse, and a
// write reads the caller's memory, never writes it): no syscall for it.
//
// The fds a probe found seekable are remembered until the backend next hands its queue over
// (Ring::Submit, ThreadRing::HandOff) or lib/ settles an fd for its closeSync. No op queued until
// then has its fd resolved before that hand-off (liburing publishes SQEs to the kernel, an SQPOLL
// thread included, only in io_uring_submit; the pool's workers see an op only once handed off),
// so a probe per op could not look later than one per fd does; and the lseek, a third of what a
// cached 4 KiB read costs on the callback path, is paid once per fd per hand-off. A pipe is never
// remembered.
class SeekableFds {
 public:
  bool Has(int fd) const {
    for (unsigned i = 0; i < count_; i++) {
      if (fds_[i] == fd) return true;
    }
    return false;
  }
  void Add(int fd) {
    if (Has(fd)) return;
    fds_[next_] = fd;
    next_ = (next_ + 1) % kSize;
    if (count_ < kSize) count_++;
  }
  void Forget() { count_ = next_ = 0; }

 private:
  static constexpr unsigned kSize = 8;
  int fds_[kSize] = {};
  unsigned count_ = 0, next_ = 0;
};

// `*seekable` says whether the fd is (known) seekable: the caller remembers it (SeekableFds::Add)
// once the op is queued, so that no fd is remembered without an op of its own waiting for the
// hand-off.
inline int ProbeStream(int fd, int64_t position, bool read, const SeekableFds& known, bool* seekable) {
  *seekable = false;
  if (!read && position < 0) return 0;
  if (known.Has(fd) || lseek(fd, 0, SEEK_CUR) >= 0) {
    *seekable = true;
    return 0;
  }
  if (errno != ESPIPE) return 0;
  if (position >= 0) return -ESPIPE;
  return read ? kStreamRead : 0;
}

inline int32_t IntArg(Napi::Value v) { return v.As<Napi::Number>().Int32Value(); }
inline int64_t Int64Arg(Napi::Value v) { return static_cast<int64_t>(v.As<Napi::Number>().DoubleValue()); }

// A path handed down from lib/ as a NUL-terminated Buffer (lib/ owns and pins
// it until the op completes). nullptr when it is not NUL-terminated.
inline const char* PathArg(Napi::Value v) {
  Bytes b = ViewBytes(v);
  if (b.data == nullptr || b.length == 0 || b.data[b.length - 1] != 0) return nullptr;
  return reinterpret_cast<const char*>(b.data);
}

// Fill `iov_out` (memory lib/ owns and pins) with one iovec per view.
// Returns the count, or -EFAULT when the output is too small.
int FillIovecs(Napi::Array views, Bytes iov_out);

// Throw an Error carrying `errno` (negative) and `syscall`, for lib/ to turn
// into a Node-style system error. Plain N-API calls whose failures are
// ignored: while a worker is being terminated nothing can be thrown, and
// node-addon-api's Error::New would abort the process there.
inline void ThrowSyscallError(napi_env env, int negative_errno, const char* syscall) {
  std::string text = std::string(syscall) + " failed: " + strerror(-negative_errno);
  napi_value message, error, number, name;
  if (napi_create_string_utf8(env, text.c_str(), text.size(), &message) != napi_ok) return;
  if (napi_create_error(env, nullptr, message, &error) != napi_ok) return;
  if (napi_create_int32(env, negative_errno, &number) == napi_ok) napi_set_named_property(env, error, "errno", number);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name) == napi_ok) napi_set_named_property(env, error, "syscall", name);
  napi_throw(env, error);
}

// Set number properties on `target` with plain N-API calls, whose failures (an environment being
// torn down) are ignored rather than aborting the process as node-addon-api's wrappers would.
inline void SetNumbers(napi_env env, napi_value target, std::initializer_list<std::pair<const char*, double>> values) {
  for (const auto& [name, value] : values) {
    napi_value number;
    if (napi_create_double(env, value, &number) == napi_ok) napi_set_named_property(env, target, name, number);
  }
}

Napi::Object InitRing(Napi::Env env, Napi::Object exports);
Napi::Object InitSync(Napi::Env env, Napi::Object exports);
Napi::Object InitThreads(Napi::Env env, Napi::Object exports);
Napi::Object InitProbe(Napi::Env env, Napi::Object exports);
Napi::Object InitEpoll(Napi::Env env, Napi::Object exports);
// The environment's table of fds lib/ holds (native/held_fds.cc), closed from when it is torn down.
struct HeldFds;
HeldFds* InitHeldFds(Napi::Env env, Napi::Object exports);
// List `fd` in `slot`, a slot lib/ reserved (in the table and free): false when it is not one.
bool HoldFd(HeldFds* held, int64_t slot, int fd);
// Take the fd out of `slot` (free from then on): the fd — also one marked closing by a close op
// the caller knows did not run — or -EBADF when the slot holds none.
int TakeHeldFd(HeldFds* held, int64_t slot);
Napi::Object InitDirs(Napi::Env env, Napi::Object exports, HeldFds* held);
Napi::Object InitCrc32c(Napi::Env env, Napi::Object exports);
Napi::Object InitLargeMemory(Napi::Env env, Napi::Object exports);

}  // namespace uringfs
