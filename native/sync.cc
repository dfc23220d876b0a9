// The sync flavour's single operations: one direct syscall each, since one
// syscall is the least a blocking call can cost. Every function returns the
// syscall's result, or -errno; lib/ turns that into a Node-style error.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>
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

// open(path, flags, mode)
Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[0]);
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
  const char* path = info[1].IsNull() ? "" : PathArg(info[1]);
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
  const char* path = PathArg(info[0]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int flags = IntArg(info[1]);
  return Result(info.Env(), Retrying([&] { return unlinkat(AT_FDCWD, path, flags); }));
}

// rename(from, to)
Napi::Value Rename(const Napi::CallbackInfo& info) {
  const char* from = PathArg(info[0]);
  const char* to = PathArg(info[1]);
  if (!from || !to) return Napi::Number::New(info.Env(), -EFAULT);
  return Result(info.Env(), Retrying([&] { return renameat(AT_FDCWD, from, AT_FDCWD, to); }));
}

// mkdir(path, mode)
Napi::Value Mkdir(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[0]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int mode = IntArg(info[1]);
  return Result(info.Env(), Retrying([&] { return mkdirat(AT_FDCWD, path, mode); }));
}

// link(existing, new)
Napi::Value Link(const Napi::CallbackInfo& info) {
  const char* existing = PathArg(info[0]);
  const char* to = PathArg(info[1]);
  if (!existing || !to) return Napi::Number::New(info.Env(), -EFAULT);
  return Result(info.Env(), Retrying([&] { return linkat(AT_FDCWD, existing, AT_FDCWD, to, 0); }));
}

// symlink(target, path)
Napi::Value Symlink(const Napi::CallbackInfo& info) {
  const char* target = PathArg(info[0]);
  const char* path = PathArg(info[1]);
  if (!target || !path) return Napi::Number::New(info.Env(), -EFAULT);
  return Result(info.Env(), Retrying([&] { return symlinkat(target, AT_FDCWD, path); }));
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
  exports.Set("sync", sync);
  return exports;
}

}  // namespace uringfs
