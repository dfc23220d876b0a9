// Directories: getdents64 in large batches, names packed for lib/ to decode
// in one go. io_uring has no getdents op (IORING_OP_GETDENTS was proposed
// but never merged), so the async forms run here on libuv's thread pool
// (napi async work), one work item per directory or per batch, as node:fs
// does; the rest of the library's work stays on the ring.
//
// A listing reaches JS as [names, types]: `names` one Buffer of the entry
// names, each followed by a NUL (names never hold a NUL), `types` one byte
// per entry, libuv's UV_DIRENT_* numbering (the values node:fs's Dirent
// uses). "." and ".." are left out. Errors are -errno numbers.
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "common.h"

namespace uringfs {
namespace {

// The bytes one getdents64 call may fill: glibc's readdir(3) (and so
// libuv's scandir and opendir) uses 32 KiB; twice that halves the calls on
// large directories at no cost here.
constexpr size_t kGetdentsBytes = 64 * 1024;

// list() flags.
constexpr int kSortByName = 1;  // strcmp order, as libuv's scandir returns them (readdir)
constexpr int kKeepFd = 2;      // leave the directory open and return its fd (a scan's statx go relative to it)

// libuv's UV_DIRENT_* numbering of a d_type.
uint8_t DirentType(unsigned char d_type) {
  switch (d_type) {
    case DT_REG: return 1;
    case DT_DIR: return 2;
    case DT_LNK: return 3;
    case DT_FIFO: return 4;
    case DT_SOCK: return 5;
    case DT_CHR: return 6;
    case DT_BLK: return 7;
    default: return 0;
  }
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Closes what it holds unless released: an fd a work item opened is closed
// even when its completion never reaches JS (environment torn down).
class OwnedFd {
 public:
  OwnedFd() = default;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() { Reset(-1); }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int Get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

struct Listing {
  std::vector<char> names;  // name\0name\0...
  std::vector<uint8_t> types;
  int error = 0;            // -errno, or 0
  bool end = false;         // a batch read found the end of the directory
};

int OpenDirectory(const char* path) {
  int fd;
  do { fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC); } while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : fd;
}

// One getdents64 call appended to `out`: the bytes the kernel returned (0 at the end) or -errno.
ssize_t ReadEntries(int fd, std::vector<char>& scratch, Listing& out) {
  if (scratch.size() < kGetdentsBytes) scratch.resize(kGetdentsBytes);
  ssize_t n;
  do { n = syscall(SYS_getdents64, fd, scratch.data(), scratch.size()); } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (ssize_t at = 0; at < n;) {
    auto* d = reinterpret_cast<linux_dirent64*>(scratch.data() + at);
    at += d->d_reclen;
    const char* name = d->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    size_t length = strlen(name);
    out.names.insert(out.names.end(), name, name + length + 1);
    out.types.push_back(DirentType(d->d_type));
  }
  return n;
}

// Names in strcmp order (bytes, unsigned), types following their names.
void SortByName(Listing& listing) {
  size_t count = listing.types.size();
  std::vector<size_t> starts;
  starts.reserve(count);
  for (size_t at = 0; at < listing.names.size(); at += strlen(listing.names.data() + at) + 1) starts.push_back(at);
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; i++) order[i] = i;
  const char* base = listing.names.data();
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return strcmp(base + starts[a], base + starts[b]) < 0; });
  std::vector<char> names;
  names.reserve(listing.names.size());
  std::vector<uint8_t> types(count);
  for (size_t i = 0; i < count; i++) {
    const char* name = base + starts[order[i]];
    names.insert(names.end(), name, name + strlen(name) + 1);
    types[i] = listing.types[order[i]];
  }
  listing.names.swap(names);
  listing.types.swap(types);
}

// Test hook, from URINGFS_TEST_GETDENTS_EIO=1 when the addon is loaded: a
// listing's getdents64 calls after its first fail with EIO, as on a failing
// disk, so that tests can reach the error path after a successful open.
bool fail_later_getdents = false;

// A whole directory: open, getdents64 until the end, close (unless kept in
// `fd`, and never when the listing failed: only a listing carries its fd).
void ListDirectory(const char* path, int flags, Listing& out, OwnedFd& fd) {
  int opened = OpenDirectory(path);
  if (opened < 0) {
    out.error = opened;
    return;
  }
  fd.Reset(opened);
  std::vector<char> scratch;
  for (bool first = true;; first = false) {
    ssize_t n = !first && fail_later_getdents ? -EIO : ReadEntries(fd.Get(), scratch, out);
    if (n < 0) {
      out.error = static_cast<int>(n);
      fd.Reset(-1);
      return;
    }
    if (n == 0) break;
  }
  if (flags & kSortByName) SortByName(out);
  if (!(flags & kKeepFd)) fd.Reset(-1);
}

// [names, types] (with the kept fd third), null at the end of a batch read, or -errno; nullptr
// when the environment refuses to make values (being torn down). Plain N-API calls whose failures
// are checked, never node-addon-api's throwing wrappers: while a worker is terminated nothing can
// be thrown, and they would abort the process. On nullptr the caller still owns `fd`.
napi_value ListingValue(napi_env env, const Listing& listing, int fd) {
  napi_value out = nullptr;
  if (listing.error < 0 || listing.end) {
    napi_status s = listing.error < 0 ? napi_create_int32(env, listing.error, &out) : napi_get_null(env, &out);
    return s == napi_ok ? out : nullptr;
  }
  napi_value names, types, fd_value;
  void* unused;
  if (napi_create_array_with_length(env, fd >= 0 ? 3 : 2, &out) != napi_ok) return nullptr;
  // napi_create_buffer_copy refuses a null pointer for an empty listing: copy from a byte of our own.
  static const char kEmpty = 0;
  const char* name_bytes = listing.names.empty() ? &kEmpty : listing.names.data();
  const void* type_bytes = listing.types.empty() ? static_cast<const void*>(&kEmpty) : listing.types.data();
  if (napi_create_buffer_copy(env, listing.names.size(), name_bytes, &unused, &names) != napi_ok) return nullptr;
  if (napi_create_buffer_copy(env, listing.types.size(), type_bytes, &unused, &types) != napi_ok) return nullptr;
  if (napi_set_element(env, out, 0, names) != napi_ok || napi_set_element(env, out, 1, types) != napi_ok) return nullptr;
  if (fd >= 0 && (napi_create_int32(env, fd, &fd_value) != napi_ok || napi_set_element(env, out, 2, fd_value) != napi_ok)) return nullptr;
  return out;
}

// One batch of a directory open in `fd` (a Dir's read): null at the end.
void ReadBatch(int fd, Listing& out) {
  std::vector<char> scratch;
  // Entries can all be "." and "..": read on until there is a name or the end.
  while (out.types.empty()) {
    ssize_t n = ReadEntries(fd, scratch, out);
    if (n < 0) {
      out.error = static_cast<int>(n);
      return;
    }
    if (n == 0) {
      out.end = true;
      return;
    }
  }
}

enum class Work { List, Open, Read, Close };

// One directory operation on libuv's pool (napi async work); calls back with the same values the
// sync forms return. Owns the fd it opened, or the one it closes, until the fd is listed in the
// held-fd slot lib/ reserved for it, just before JS is called: when the completion does not come
// (the environment is being torn down), the fd is closed with the work.
struct DirectoryWork {
  Work work;
  std::string path;
  int fd = -1;
  int flags = 0;
  int result = 0;
  Listing listing;
  OwnedFd owned;
  HeldFds* held = nullptr;
  int64_t slot = -1;
  napi_ref callback = nullptr;
  napi_async_work handle = nullptr;

  static void Execute(napi_env, void* data) {
    auto* w = static_cast<DirectoryWork*>(data);
    switch (w->work) {
      case Work::List: ListDirectory(w->path.c_str(), w->flags, w->listing, w->owned); break;
      case Work::Open: {
        int fd = OpenDirectory(w->path.c_str());
        if (fd < 0) w->result = fd;
        else w->owned.Reset(fd);
        break;
      }
      case Work::Read: ReadBatch(w->fd, w->listing); break;
      case Work::Close: w->result = close(w->owned.Release()) < 0 ? -errno : 0; break;
    }
  }

  static void Complete(napi_env env, napi_status status, void* data) {
    auto* w = static_cast<DirectoryWork*>(data);
    if (status == napi_ok) w->Deliver(env);
    napi_delete_reference(env, w->callback);
    napi_delete_async_work(env, w->handle);
    delete w;  // closes what was not listed for JS
  }

  void Deliver(napi_env env) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value value = nullptr;
    switch (work) {
      case Work::List: value = ListingValue(env, listing, owned.Get()); break;
      case Work::Open:
        if (napi_create_int32(env, result < 0 ? result : owned.Get(), &value) != napi_ok) value = nullptr;
        break;
      case Work::Read: value = ListingValue(env, listing, -1); break;
      case Work::Close:
        if (napi_create_int32(env, result, &value) != napi_ok) value = nullptr;
        break;
    }
    // The fd goes to JS listed in its slot, or not at all.
    if (value != nullptr && owned.Get() >= 0) {
      if (HoldFd(held, slot, owned.Get())) owned.Release();
      else if (napi_create_int32(env, -EINVAL, &value) != napi_ok) value = nullptr;
    }
    napi_value fn, global;
    if (value != nullptr && napi_get_reference_value(env, callback, &fn) == napi_ok && fn != nullptr &&
        napi_get_global(env, &global) == napi_ok) {
      napi_call_function(env, global, fn, 1, &value, nullptr);
    }
    napi_close_handle_scope(env, scope);
  }
};

// Queue `w` with `callback`: 0, or -ENOMEM when N-API refuses.
int QueueWork(napi_env env, DirectoryWork* w, napi_value callback) {
  napi_value name;
  if (napi_create_string_utf8(env, "uringfs:dir", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_reference(env, callback, 1, &w->callback) != napi_ok) {
    if (w->callback != nullptr) napi_delete_reference(env, w->callback);
    delete w;
    return -ENOMEM;
  }
  if (napi_create_async_work(env, nullptr, name, DirectoryWork::Execute, DirectoryWork::Complete, w, &w->handle) != napi_ok ||
      napi_queue_async_work(env, w->handle) != napi_ok) {
    if (w->handle != nullptr) napi_delete_async_work(env, w->handle);
    napi_delete_reference(env, w->callback);
    delete w;
    return -ENOMEM;
  }
  return 0;
}

DirectoryWork* NewWork(const Napi::CallbackInfo& info, Work work, std::string path, int fd, int flags, int64_t slot) {
  auto* w = new DirectoryWork();
  w->work = work;
  w->path = std::move(path);
  w->fd = fd;
  w->flags = flags;
  w->held = static_cast<HeldFds*>(info.Data());
  w->slot = slot;
  return w;
}

std::string PathString(Napi::Value v) {
  const char* path = PathArg(v);
  return path ? std::string(path) : std::string();
}

// The held-fd slot (lib/held.ts reserveSlot) an fd that JS keeps goes into; -1 when none is given.
int64_t SlotArg(Napi::Value v) { return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : -1; }

// list(path, flags, slot?): [names, types(, fd, listed in `slot`)] or -errno.
Napi::Value List(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[0]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  Listing listing;
  OwnedFd fd;
  ListDirectory(path, IntArg(info[1]), listing, fd);
  napi_value value = ListingValue(info.Env(), listing, fd.Get());
  if (value == nullptr) return info.Env().Undefined();  // fd closed on return
  if (fd.Get() >= 0) {
    if (!HoldFd(static_cast<HeldFds*>(info.Data()), SlotArg(info[2]), fd.Get())) return Napi::Number::New(info.Env(), -EINVAL);
    fd.Release();
  }
  return Napi::Value(info.Env(), value);
}

// read(fd): [names, types], null at the end, or -errno.
Napi::Value Read(const Napi::CallbackInfo& info) {
  Listing listing;
  ReadBatch(IntArg(info[0]), listing);
  napi_value value = ListingValue(info.Env(), listing, -1);
  return value == nullptr ? info.Env().Undefined() : Napi::Value(info.Env(), value);
}

// listAsync(path, flags, callback, slot?), openAsync(path, callback, slot), readAsync(fd, callback),
// closeAsync(slot, callback): 0 once queued, or -errno.
Napi::Value ListAsync(const Napi::CallbackInfo& info) {
  if (!PathArg(info[0])) return Napi::Number::New(info.Env(), -EFAULT);
  return Napi::Number::New(info.Env(), QueueWork(info.Env(), NewWork(info, Work::List, PathString(info[0]), -1, IntArg(info[1]), SlotArg(info[3])), info[2]));
}

Napi::Value OpenAsync(const Napi::CallbackInfo& info) {
  if (!PathArg(info[0])) return Napi::Number::New(info.Env(), -EFAULT);
  return Napi::Number::New(info.Env(), QueueWork(info.Env(), NewWork(info, Work::Open, PathString(info[0]), -1, 0, SlotArg(info[2])), info[1]));
}

Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), QueueWork(info.Env(), NewWork(info, Work::Read, std::string(), IntArg(info[0]), 0, -1), info[1]));
}

// The fd leaves its slot here and is the work's until closed: listed or closed at every moment.
Napi::Value CloseAsync(const Napi::CallbackInfo& info) {
  int fd = TakeHeldFd(static_cast<HeldFds*>(info.Data()), SlotArg(info[0]));
  if (fd < 0) return Napi::Number::New(info.Env(), fd);
  DirectoryWork* w = NewWork(info, Work::Close, std::string(), -1, 0, -1);
  w->owned.Reset(fd);
  return Napi::Number::New(info.Env(), QueueWork(info.Env(), w, info[1]));
}

// open(path, slot): the directory's fd (O_DIRECTORY), listed in `slot`, or -errno.
Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* path = PathArg(info[0]);
  if (!path) return Napi::Number::New(info.Env(), -EFAULT);
  int fd = OpenDirectory(path);
  if (fd >= 0 && !HoldFd(static_cast<HeldFds*>(info.Data()), SlotArg(info[1]), fd)) {
    close(fd);
    fd = -EINVAL;
  }
  return Napi::Number::New(info.Env(), fd);
}

}  // namespace

Napi::Object InitDirs(Napi::Env env, Napi::Object exports, HeldFds* held) {
  const char* hook = getenv("URINGFS_TEST_GETDENTS_EIO");
  fail_later_getdents = hook != nullptr && strcmp(hook, "1") == 0;
  Napi::Object dirs = Napi::Object::New(env);
  dirs.Set("list", Napi::Function::New(env, List, "list", held));
  dirs.Set("read", Napi::Function::New(env, Read, "read"));
  dirs.Set("open", Napi::Function::New(env, Open, "open", held));
  dirs.Set("listAsync", Napi::Function::New(env, ListAsync, "listAsync", held));
  dirs.Set("openAsync", Napi::Function::New(env, OpenAsync, "openAsync", held));
  dirs.Set("readAsync", Napi::Function::New(env, ReadAsync, "readAsync", held));
  dirs.Set("closeAsync", Napi::Function::New(env, CloseAsync, "closeAsync", held));
  exports.Set("dirs", dirs);
  return exports;
}

}  // namespace uringfs
