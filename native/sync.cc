// The sync flavour's single operations: one direct syscall each, since one
// syscall is the least a blocking call can cost. Every function returns the
// syscall's result, or -errno; lib/ turns that into a Node-style error.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>
#include <memory>
#include <new>
#include <vector>
#include "common.h"

namespace uringfs {
namespace {

Napi::Value Result(Napi::Env env, int64_t r) {
  return Napi::Number::New(env, static_cast<double>(r < 0 ? -errno : r));
}

// Retry a syscall interrupted by a signal: Node's own sync calls never
// surface EINTR to JS.
template <typename F>
int64_t Retrying(F f) {
  int64_t r;
  do { r = f(); } while (r < 0 && errno == EINTR);
  return r;
}

// A path of the sync calls: a string, converted here to UTF-8 as Buffer.from(string) converts it
// (a lone surrogate becomes U+FFFD; lib/ has refused NUL bytes), which spares lib/ a Buffer per
// call; or a view of bytes ending in NUL (lib/'s pathBytes, for paths given as Buffers); or null,
// the empty path (fstat's statx of the fd itself).
class SyncPath {
 public:
  explicit SyncPath(Napi::Value v) {
    napi_env env = v.Env();
    napi_valuetype type;
    if (napi_typeof(env, v, &type) != napi_ok) return;
    if (type == napi_null) {
      chars_ = "";  // statx of the dirfd itself (AT_EMPTY_PATH)
      return;
    }
    if (type != napi_string) {
      chars_ = PathArg(v);
      return;
    }
    size_t n = 0;
    if (napi_get_value_string_utf8(env, v, room_, sizeof room_, &n) != napi_ok) return;
    // The conversion stops before a character that does not fit (4 bytes at most): with more
    // room left than that, nothing was cut off.
    if (n + 4 < sizeof room_) {
      chars_ = room_;
      return;
    }
    if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) return;
    long_.resize(n + 1);
    if (napi_get_value_string_utf8(env, v, long_.data(), long_.size(), &n) != napi_ok) return;
    chars_ = long_.c_str();
  }
  SyncPath(const SyncPath&) = delete;
  SyncPath& operator=(const SyncPath&) = delete;
  // NUL-terminated, or nullptr for an argument that is neither form.
  const char* get() const { return chars_; }

 private:
  char room_[4096];
  std::string long_;
  const char* chars_ = nullptr;
};

// open(path, flags, mode)
Napi::Value Open(const Napi::CallbackInfo& info) {
  SyncPath p(info[0]);
  const char* path = p.get();
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int flags = IntArg(info[1]), mode = IntArg(info[2]);
  return Result(info.Env(), Retrying([&] { return openat(AT_FDCWD, path, flags | O_CLOEXEC, mode); }));
}

// close(fd)
Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = IntArg(info[0]);
  // close() is not retried on EINTR: the fd is released either way on Linux.
  int r = close(fd);
  return Result(info.Env(), r);
}

// read(fd, view, offset, length, position) / write(...): position -1 uses
// and moves the file position (read(2)/write(2)); otherwise pread/pwrite.
template <bool kWrite>
Napi::Value ReadWrite(const Napi::CallbackInfo& info) {
  int fd = IntArg(info[0]);
  Bytes b = ViewBytes(info[1]);
  int64_t off = Int64Arg(info[2]), len = Int64Arg(info[3]);
  int64_t pos = PositionArg(info[4]);
  uint8_t* p = RangeIn(b, off, len);
  if (!p) return Napi::Number::New(info.Env(), -EFAULT);
  int64_t r = Retrying([&]() -> int64_t {
    if (kWrite) return pos < 0 ? write(fd, p, len) : pwrite(fd, p, len, pos);
    return pos < 0 ? read(fd, p, len) : pread(fd, p, len, pos);
  });
  return Result(info.Env(), r);
}

// readv(fd, views, iovScratch, position) / writev(...)
template <bool kWrite>
Napi::Value ReadWriteV(const Napi::CallbackInfo& info) {
  int fd = IntArg(info[0]);
  int n = FillIovecs(info[1].As<Napi::Array>(), ViewBytes(info[2]));
  if (n < 0) return Napi::Number::New(info.Env(), n);
  int64_t pos = PositionArg(info[3]);
  auto* iov = reinterpret_cast<struct iovec*>(ViewBytes(info[2]).data);
  int64_t r = Retrying([&]() -> int64_t {
    if (kWrite) return pos < 0 ? writev(fd, iov, n) : pwritev(fd, iov, n, pos);
    return pos < 0 ? readv(fd, iov, n) : preadv(fd, iov, n, pos);
  });
  return Result(info.Env(), r);
}

// fsync(fd, datasync)
Napi::Value Fsync(const Napi::CallbackInfo& info) {
  int fd = IntArg(info[0]);
  bool data = info[1].ToBoolean();
  return Result(info.Env(), Retrying([&] { return data ? fdatasync(fd) : fsync(fd); }));
}

// ftruncate(fd, length)
Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
  int fd = IntArg(info[0]);
  off_t length = static_cast<off_t>(Int64Arg(info[1]));
  return Result(info.Env(), Retrying([&] { return ftruncate(fd, length); }));
}

// statx(dirfd, path | null, flags, mask, out): path null means the dirfd
// itself (AT_EMPTY_PATH), which is how fstat is done.
Napi::Value Statx(const Napi::CallbackInfo& info) {
  int dirfd = IntArg(info[0]);
  SyncPath p(info[1]);
  const char* path = p.get();
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int flags = IntArg(info[2]);
  unsigned mask = static_cast<unsigned>(IntArg(info[3]));
  Bytes out = ViewBytes(info[4]);
  if (!RangeIn(out, 0, sizeof(struct statx))) return Napi::Number::New(info.Env(), -EFAULT);
  auto* stx = reinterpret_cast<struct statx*>(out.data);
  return Result(info.Env(), Retrying([&] { return statx(dirfd, path, flags, mask, stx); }));
}

// unlink(path, flags): flags AT_REMOVEDIR makes it rmdir.
Napi::Value Unlink(const Napi::CallbackInfo& info) {
  SyncPath p(info[0]);
  const char* path = p.get();
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int flags = IntArg(info[1]);
  return Result(info.Env(), Retrying([&] { return unlinkat(AT_FDCWD, path, flags); }));
}

// rename(from, to)
Napi::Value Rename(const Napi::CallbackInfo& info) {
  SyncPath p(info[0]), q(info[1]);
  const char* from = p.get();
  const char* to = q.get();
  if (!from || !to) return Napi::Number::New(info.Env(), -EFAULT);
  return Result(info.Env(), Retrying([&] { return renameat(AT_FDCWD, from, AT_FDCWD, to); }));
}

// mkdir(path, mode)
Napi::Value Mkdir(const Napi::CallbackInfo& info) {
  SyncPath p(info[0]);
  const char* path = p.get();
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int mode = IntArg(info[1]);
  return Result(info.Env(), Retrying([&] { return mkdirat(AT_FDCWD, path, mode); }));
}

// link(existing, new)
Napi::Value Link(const Napi::CallbackInfo& info) {
  SyncPath p(info[0]), q(info[1]);
  const char* existing = p.get();
  const char* to = q.get();
  if (!existing || !to) return Napi::Number::New(info.Env(), -EFAULT);
  return Result(info.Env(), Retrying([&] { return linkat(AT_FDCWD, existing, AT_FDCWD, to, 0); }));
}

// symlink(target, path)
Napi::Value Symlink(const Napi::CallbackInfo& info) {
  SyncPath p(info[0]), q(info[1]);
  const char* target = p.get();
  const char* path = q.get();
  if (!target || !path) return Napi::Number::New(info.Env(), -EFAULT);
  return Result(info.Env(), Retrying([&] { return symlinkat(target, AT_FDCWD, path); }));
}

// readFile(path, flags, max, out, utf8): readFileSync of a path in one call, with its steps and
// errors: open, fstat, read, close. Returns a new Buffer of the file's bytes (only the first
// out[1] of them read, where out[1] is not -1: the file shrank), or with `utf8` a string decoded
// from them as Buffer's toString('utf8') decodes (V8's UTF-8 decoding), up to kMaxStringBytes; or the size of a regular file larger than `max`, not read (lib/ throws
// ERR_FS_FILE_TOO_LARGE); or -errno with the failing step in out[0] (kReadFileOpen ...). A regular file is read up to the size fstat
// gave, as node:fs reads it (one that grows meanwhile is read as it was, one that shrinks up to
// its new end); anything else (a FIFO, a device, /proc, an empty regular file) in 64 KiB reads
// until one gives nothing. The fd never reaches JS, so no JS can run while it is open.
enum ReadFileStep : int32_t { kReadFileOpen, kReadFileFstat, kReadFileRead, kReadFileClose };
// Past this, `utf8` still gives a Buffer: its toString in lib/ then fails (or not) as node:fs's
// does, with Node's error for a string longer than V8 allows.
constexpr size_t kMaxStringBytes = 256u << 20;

// `bytes` as the call's result: a string of them decoded as UTF-8, or a Buffer of a copy.
bool BytesValue(napi_env env, const uint8_t* bytes, size_t size, bool utf8, napi_value* result) {
  if (utf8 && size <= kMaxStringBytes) return napi_create_string_utf8(env, reinterpret_cast<const char*>(bytes), size, result) == napi_ok;
  return napi_create_buffer_copy(env, size, bytes, nullptr, result) == napi_ok;
}

Napi::Value ReadFile(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  SyncPath p(info[0]);
  int flags = IntArg(info[1]);
  double max = info[2].As<Napi::Number>().DoubleValue();
  Bytes out = ViewBytes(info[3]);
  bool utf8 = info[4].ToBoolean();
  if (!p.get() || !RangeIn(out, 0, 2 * sizeof(int32_t))) return Napi::Number::New(env, -EFAULT);
  auto* out32 = reinterpret_cast<int32_t*>(out.data);
  out32[1] = -1;
  auto failed = [&](ReadFileStep at, int err, int fd) {
    if (fd >= 0) close(fd);
    out32[0] = at;
    return Napi::Number::New(env, -err);
  };
  int fd = static_cast<int>(Retrying([&] { return openat(AT_FDCWD, p.get(), flags | O_CLOEXEC, 0666); }));
  if (fd < 0) return failed(kReadFileOpen, errno, -1);
  struct stat st;
  if (fstat(fd, &st) != 0) return failed(kReadFileFstat, errno, fd);
  napi_value result;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<double>(st.st_size) > max) {
      close(fd);
      return Napi::Number::New(env, static_cast<double>(st.st_size));
    }
    size_t size = static_cast<size_t>(st.st_size), filled = 0;
    // A Buffer is read into at once; a string is made from the bytes once they are all read.
    bool direct = !utf8 || size > kMaxStringBytes;
    std::unique_ptr<uint8_t[]> text;
    uint8_t* bytes = nullptr;
    if (direct) {
      void* data = nullptr;
      if (napi_create_buffer(env, size, &data, &result) != napi_ok) return failed(kReadFileRead, ENOMEM, fd);
      bytes = static_cast<uint8_t*>(data);
    } else {
      text.reset(new (std::nothrow) uint8_t[size]);
      if (!text) return failed(kReadFileRead, ENOMEM, fd);
      bytes = text.get();
    }
    while (filled < size) {
      int64_t n = Retrying([&] { return read(fd, bytes + filled, size - filled); });
      if (n < 0) return failed(kReadFileRead, errno, fd);
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    if (!direct) {
      if (!BytesValue(env, bytes, filled, true, &result)) return failed(kReadFileRead, ENOMEM, fd);
    } else if (filled < size) {
      out32[1] = static_cast<int32_t>(filled);  // the file shrank
    }
  } else {
    constexpr size_t kChunk = 64 * 1024;  // node:fs's kReadFileUnknownBufferLength
    std::vector<uint8_t> bytes;
    for (;;) {
      size_t at = bytes.size();
      bytes.resize(at + kChunk);
      int64_t n = Retrying([&] { return read(fd, bytes.data() + at, kChunk); });
      if (n < 0) return failed(kReadFileRead, errno, fd);
      bytes.resize(at + static_cast<size_t>(n));
      if (n == 0) break;
    }
    if (!BytesValue(env, bytes.data(), bytes.size(), utf8, &result)) return failed(kReadFileRead, ENOMEM, fd);
  }
  // Not retried on EINTR: Linux releases the fd either way.
  if (close(fd) != 0 && errno != EINTR) return failed(kReadFileClose, errno, -1);
  return Napi::Value(env, result);
}

}  // namespace

Napi::Object InitSync(Napi::Env env, Napi::Object exports) {
  Napi::Object sync = Napi::Object::New(env);
  sync.Set("open", Napi::Function::New(env, Open, "open"));
  sync.Set("close", Napi::Function::New(env, Close, "close"));
  sync.Set("read", Napi::Function::New(env, ReadWrite<false>, "read"));
  sync.Set("write", Napi::Function::New(env, ReadWrite<true>, "write"));
  sync.Set("readv", Napi::Function::New(env, ReadWriteV<false>, "readv"));
  sync.Set("writev", Napi::Function::New(env, ReadWriteV<true>, "writev"));
  sync.Set("fsync", Napi::Function::New(env, Fsync, "fsync"));
  sync.Set("ftruncate", Napi::Function::New(env, Ftruncate, "ftruncate"));
  sync.Set("statx", Napi::Function::New(env, Statx, "statx"));
  sync.Set("unlink", Napi::Function::New(env, Unlink, "unlink"));
  sync.Set("rename", Napi::Function::New(env, Rename, "rename"));
  sync.Set("mkdir", Napi::Function::New(env, Mkdir, "mkdir"));
  sync.Set("link", Napi::Function::New(env, Link, "link"));
  sync.Set("symlink", Napi::Function::New(env, Symlink, "symlink"));
  sync.Set("readFile", Napi::Function::New(env, ReadFile, "readFile"));
  exports.Set("sync", sync);
  return exports;
}

}  // namespace uringfs
