// The sync flavour's single operations: one direct syscall each, since one
// syscall is the least a blocking call can cost. Every function returns the
// syscall's result, or -errno; lib/ turns that into a Node-style error.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
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

// readFile(path, flags, max, out, utf8, room): readFileSync of a path in one call, with its steps
// and errors: open, fstat, read, close; the fd never reaches JS, so no JS runs while it is open.
// A regular file is read up to the size fstat gave, as node:fs's readFileSync reads it into a
// Buffer (one that grows meanwhile is read as it was, one that shrinks up to its new end; its
// 'utf8' form reads on to the end); anything else (a FIFO, a device, /proc, an empty regular
// file) until a read gives nothing, 64 KiB at a time.
//
// Returns the bytes as a Buffer (only the first out[1] of them read where out[1] is not -1: the
// file shrank), or with `utf8` as a string, decoded as Buffer's toString('utf8') decodes (V8's
// UTF-8 decoding); or a number, which out[0] explains (ReadFileOutcome):
// - kReadFileOpen ... kReadFileClose: -errno of that step;
// - kReadFileInRoom: the count of bytes, fewer than room's length, put into `room` (lib/ copies
//   them into a Buffer of Node's pool, where node:fs's small results are);
// - kReadFileTooLarge: the size of a file larger than `max`, not read (ERR_FS_FILE_TOO_LARGE);
// - kReadFileLarge: a regular file larger than kOneCallMax, not read here: lib/ reads it in
//   memory of its own making, so that an allocation that fails is Node's RangeError (a failed
//   allocation here would end the process);
// - kReadFilePending: the count of bytes of a file of unknown size, kept here (pending) until
//   lib/ hands over a Buffer of its own making for them (readFileRest), for the same reason.
enum ReadFileOutcome : int32_t {
  kReadFileOpen, kReadFileFstat, kReadFileRead, kReadFileClose, kReadFileInRoom, kReadFileTooLarge, kReadFileLarge, kReadFilePending,
};
constexpr size_t kOneCallMax = 1u << 20;
constexpr size_t kUnknownSizeChunk = 64 * 1024;
// Past this, `utf8` still gives a Buffer: its toString in lib/ then fails (or not) as node:fs's
// does, with Node's error for a string longer than V8 allows.
constexpr size_t kMaxStringBytes = 256u << 20;

// The bytes of kReadFilePending, this thread's (each worker runs its own JS), malloc's.
struct PendingBytes {
  uint8_t* bytes = nullptr;
  size_t size = 0;
  void Reset(uint8_t* to = nullptr, size_t count = 0) {
    free(bytes);
    bytes = to;
    size = count;
  }
  ~PendingBytes() { free(bytes); }
};
thread_local PendingBytes pending;

Napi::Value ReadFile(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  SyncPath p(info[0]);
  int flags = IntArg(info[1]);
  double max = info[2].As<Napi::Number>().DoubleValue();
  Bytes out = ViewBytes(info[3]);
  bool utf8 = info[4].ToBoolean();
  Bytes room = ViewBytes(info[5]);
  if (!p.get() || !RangeIn(out, 0, 2 * sizeof(int32_t))) return Napi::Number::New(env, -EFAULT);
  auto* out32 = reinterpret_cast<int32_t*>(out.data);
  out32[1] = -1;
  pending.Reset();  // what a call before left, if lib/ never took it
  // A number result: `value`, told by `outcome`; the fd closed first.
  auto number = [&](ReadFileOutcome outcome, double value, int fd) {
    if (fd >= 0) close(fd);
    out32[0] = outcome;
    return Napi::Number::New(env, value);
  };
  auto failed = [&](ReadFileOutcome step, int err, int fd) { return number(step, -err, fd); };

  int fd = static_cast<int>(Retrying([&] { return openat(AT_FDCWD, p.get(), flags | O_CLOEXEC, 0666); }));
  if (fd < 0) return failed(kReadFileOpen, errno, -1);
  struct stat st;
  if (fstat(fd, &st) != 0) return failed(kReadFileFstat, errno, fd);
  // A string of `n` of malloc's `bytes`, which it frees: false where it could not be made.
  auto takeString = [&](uint8_t* bytes, size_t n, napi_value* out) {
    bool made = napi_create_string_utf8(env, reinterpret_cast<const char*>(bytes), n, out) == napi_ok;
    free(bytes);
    return made;
  };
  // Read to `bytes` until `size` bytes or a read gives nothing: false on a failed read (errno).
  auto readUpTo = [&](uint8_t* bytes, size_t size, size_t* filled) {
    while (*filled < size) {
      int64_t n = Retrying([&] { return read(fd, bytes + *filled, size - *filled); });
      if (n < 0) return false;
      if (n == 0) break;
      *filled += static_cast<size_t>(n);
    }
    return true;
  };

  // The call's value once the fd is closed: `result`, or `count` bytes where `counted` says.
  napi_value result = nullptr;
  double count = -1;
  ReadFileOutcome counted = kReadFileInRoom;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<double>(st.st_size) > max) return number(kReadFileTooLarge, static_cast<double>(st.st_size), fd);
    if (static_cast<uint64_t>(st.st_size) > kOneCallMax) return number(kReadFileLarge, 0, fd);
    size_t size = static_cast<size_t>(st.st_size), filled = 0;
    if (!utf8 && size < room.length) {
      if (!readUpTo(room.data, size, &filled)) return failed(kReadFileRead, errno, fd);
      count = static_cast<double>(filled);
    } else if (utf8) {
      auto* bytes = static_cast<uint8_t*>(malloc(size));
      if (!bytes) return failed(kReadFileRead, ENOMEM, fd);
      if (!readUpTo(bytes, size, &filled)) {
        int err = errno;
        free(bytes);
        return failed(kReadFileRead, err, fd);
      }
      if (!takeString(bytes, filled, &result)) return failed(kReadFileRead, ENOMEM, fd);
    } else {
      // Up to kOneCallMax only: a Buffer made here whose allocation failed would end the process.
      void* data = nullptr;
      if (napi_create_buffer(env, size, &data, &result) != napi_ok) return failed(kReadFileRead, ENOMEM, fd);
      if (!readUpTo(static_cast<uint8_t*>(data), size, &filled)) return failed(kReadFileRead, errno, fd);
      if (filled < size) out32[1] = static_cast<int32_t>(filled);
    }
  } else {
    uint8_t* bytes = nullptr;
    size_t filled = 0, capacity = 0;
    for (;;) {
      if (filled == capacity) {
        size_t more = capacity == 0 ? kUnknownSizeChunk : capacity;  // doubling: few copies
        auto* grown = static_cast<uint8_t*>(realloc(bytes, capacity + more));
        if (!grown) {
          free(bytes);
          return failed(kReadFileRead, ENOMEM, fd);
        }
        bytes = grown;
        capacity += more;
      }
      int64_t n = Retrying([&] { return read(fd, bytes + filled, capacity - filled); });
      if (n < 0) {
        int err = errno;
        free(bytes);
        return failed(kReadFileRead, err, fd);
      }
      if (n == 0) break;
      filled += static_cast<size_t>(n);
      if (static_cast<double>(filled) > max) {
        free(bytes);
        return number(kReadFileTooLarge, static_cast<double>(filled), fd);
      }
    }
    if (utf8 && filled <= kMaxStringBytes) {
      if (!takeString(bytes, filled, &result)) return failed(kReadFileRead, ENOMEM, fd);
    } else if (!utf8 && filled < room.length) {
      if (filled > 0) memcpy(room.data, bytes, filled);
      free(bytes);
      count = static_cast<double>(filled);
    } else {
      pending.Reset(bytes, filled);
      count = static_cast<double>(filled);
      counted = kReadFilePending;
    }
  }
  // Not retried on EINTR: Linux releases the fd either way.
  if (close(fd) != 0 && errno != EINTR) {
    pending.Reset();
    return failed(kReadFileClose, errno, -1);
  }
  if (count >= 0) return number(counted, count, -1);
  return Napi::Value(env, result);
}

// readFileRest(buffer | null): the pending bytes of readFile copied into `buffer` (at least as
// long), and let go of; null lets go of them only (lib/ could not make the Buffer). Returns the
// count copied, or -EFAULT (nothing pending, or a buffer too short: nothing copied).
Napi::Value ReadFileRest(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  if (info[0].IsNull()) {
    pending.Reset();
    return Napi::Number::New(env, 0);
  }
  Bytes into = ViewBytes(info[0]);
  uint8_t* to = RangeIn(into, 0, static_cast<int64_t>(pending.size));
  if (pending.bytes == nullptr || to == nullptr) return Napi::Number::New(env, -EFAULT);
  size_t size = pending.size;
  memcpy(to, pending.bytes, size);
  pending.Reset();
  return Napi::Number::New(env, static_cast<double>(size));
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
  sync.Set("readFileRest", Napi::Function::New(env, ReadFileRest, "readFileRest"));
  exports.Set("sync", sync);
  return exports;
}

}  // namespace uringfs
