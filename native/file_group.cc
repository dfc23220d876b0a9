// See file_group.h.
#include "file_group.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include "common.h"
#include "large_memory.h"

namespace uringfs {
namespace {

// Node's kIoMaxLength: readFile refuses files larger than this (ERR_FS_FILE_TOO_LARGE).
constexpr int64_t kIoMaxLength = 2147483647;
// Output memory: small files are carved from slabs of up to this much.
constexpr size_t kSlabMax = 64 * 1024;
// Every file's bytes start at a multiple of this (the kernel's copy into a
// destination off by 8 bytes is several times slower on some CPUs).
constexpr size_t kAlign = 64;
// A file of unknown length (not regular, or size 0: /proc) grows its memory from this.
constexpr size_t kFirstUnknown = 64 * 1024;

size_t AlignUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// The first offset from `base`, at or after `from`, whose address is kAlign-aligned.
size_t AlignedOffset(const uint8_t* base, size_t from) {
  uintptr_t at = reinterpret_cast<uintptr_t>(base) + from;
  return from + (AlignUp(at, kAlign) - at);
}

uint8_t* AllocAligned(size_t size) {
  return static_cast<uint8_t*>(aligned_alloc(kAlign, AlignUp(std::max<size_t>(size, 1), kAlign)));
}

}  // namespace

FileGroup::FileGroup(napi_env env, uint32_t id, uint32_t key, const char* paths, size_t paths_length, uint32_t count, int flags,
                     int32_t* results, unsigned window, uint8_t* landing)
    : env_(env), id_(id), key_(key), next_path_(paths), paths_end_(paths + paths_length), count_(count), flags_(flags & ~kGroupLargeMemory),
      large_memory_((flags & kGroupLargeMemory) != 0),
      results_(results) {
  unsigned slots = std::max(1u, std::min<unsigned>(window, count));
  slots_.resize(slots);
  for (unsigned i = slots; i-- > 0;) free_slots_.push_back(i);
  // Always room for a whole window, so that any later group can reuse it.
  landing_ = landing != nullptr ? landing : AllocAligned(LandingSize(std::max(1u, window)));
}

FileGroup::~FileGroup() {
  for (Slot& s : slots_) ReleaseOwn(s);
  for (Chunk& c : chunks_) Release(c);
  free(landing_);
}

uint64_t FileGroup::Data(unsigned slot, Step step) const {
  return kGroupBit | (static_cast<uint64_t>(key_) << 27) | (static_cast<uint64_t>(slot) << 3) | step;
}

void FileGroup::OnCqe(uint64_t data, int32_t res) {
  unsigned slot = static_cast<unsigned>((data >> 3) & 0xffffff);
  Step step = static_cast<Step>(data & 7);
  if (slot >= slots_.size() || slots_[slot].file < 0 || slots_[slot].in_kernel == 0) return;
  Slot& s = slots_[slot];
  s.in_kernel--;
  in_kernel_--;
  switch (step) {
    case kOpen:
      if (res >= 0) s.fd = res;
      else Fail(s, res, kStageOpen);
      break;
    case kRead: s.read = res; break;
    case kReadTail: s.tail = res; break;
    case kMore: s.more = res; break;
    case kClose:
      s.fd = -1;
      if (res < 0) Fail(s, res, kStageClose);
      break;
  }
  s.got |= static_cast<uint8_t>(1u << step);
  if (abandoned_) {
    if (s.in_kernel == 0) FinishAbandoned(slot);
    return;
  }
  if (s.in_kernel == 0) touched_.push_back(slot);
}

void FileGroup::Advance(SqeSource& sqes) {
  if (abandoned_) return;
  std::vector<unsigned> touched;
  touched.swap(touched_);
  for (unsigned slot : touched) {
    Slot& s = slots_[slot];
    uint8_t got = s.got;
    s.got = 0;
    if (s.retry >= 0) {
      // A step the SQ could not take last time.
      Step step = static_cast<Step>(s.retry);
      s.retry = -1;
      Queue(sqes, slot, step);
    } else if (got & (1u << kClose)) {
      Finish(slot);
    } else if (s.error != 0 && s.fd < 0) {
      Finish(slot);  // the open failed
    } else if (got & (1u << kOpen)) {
      Queue(sqes, slot, kRead);
    } else if (got & ((1u << kRead) | (1u << kReadTail))) {
      AfterReads(sqes, slot);
    } else if (got & (1u << kMore)) {
      AfterMore(sqes, slot);
    }
  }
  while (started_ < count_ && !free_slots_.empty() && next_path_ < paths_end_) {
    unsigned slot = free_slots_.back();
    free_slots_.pop_back();
    Slot& s = slots_[slot];
    s = Slot{};
    s.file = static_cast<int32_t>(started_++);
    s.path = next_path_;
    next_path_ += strlen(next_path_) + 1;
    if (!Queue(sqes, slot, kOpen)) break;
  }
}

bool FileGroup::Queue(SqeSource& sqes, unsigned slot, Step step) {
  Slot& s = slots_[slot];
  unsigned needed = step == kRead ? 2 : 1;
  if (!sqes.Reserve(needed)) {
    s.retry = step;
    touched_.push_back(slot);
    return false;
  }
  io_uring_sqe* sqe = sqes.Sqe();
  switch (step) {
    case kOpen:
      io_uring_prep_openat(sqe, AT_FDCWD, s.path, flags_ | O_CLOEXEC, 0666);
      break;
    case kRead: {
      // The room, then its tail, both at the current position: the tail runs
      // whatever the first read returned (a hard link), and its 0 says the
      // file ended. Continuous bytes when the room filled.
      io_uring_prep_read(sqe, s.fd, Room(slot), kRoom, static_cast<uint64_t>(-1));
      sqe->flags |= IOSQE_IO_HARDLINK;
      io_uring_sqe_set_data64(sqe, Data(slot, kRead));
      sqe = sqes.Sqe();
      io_uring_prep_read(sqe, s.fd, Room(slot) + kRoom, kTail, static_cast<uint64_t>(-1));
      step = kReadTail;
      s.in_kernel++;
      in_kernel_++;
      break;
    }
    case kMore: {
      size_t room = std::min<size_t>(s.own_capacity - s.own_length, static_cast<size_t>(kMaxRwCount));
      io_uring_prep_read(sqe, s.fd, s.own + s.own_length, static_cast<unsigned>(room), static_cast<uint64_t>(-1));
      break;
    }
    case kClose:
      io_uring_prep_close(sqe, s.fd);
      break;
    case kReadTail:
      break;
  }
  io_uring_sqe_set_data64(sqe, Data(slot, step));
  s.in_kernel++;
  in_kernel_++;
  return true;
}

void FileGroup::AfterReads(SqeSource& sqes, unsigned slot) {
  Slot& s = slots_[slot];
  if (s.read < 0 || s.tail < 0) {
    Fail(s, s.read < 0 ? s.read : s.tail, kStageRead);
    Queue(sqes, slot, kClose);
    return;
  }
  uint8_t* room = Room(slot);
  size_t first = static_cast<size_t>(s.read), second = static_cast<size_t>(s.tail);
  if (second == 0) {
    Keep(s, room, first, nullptr, 0);
    Queue(sqes, slot, kClose);
    return;
  }
  // More than the room holds, or a file whose reads come in pieces: go on in
  // memory of its own, sized by fstat for a regular file.
  struct stat st;
  if (fstat(s.fd, &st) != 0) {
    Fail(s, -errno, kStageFstat);
    Queue(sqes, slot, kClose);
    return;
  }
  size_t have = first + second;
  size_t capacity;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    if (st.st_size > kIoMaxLength) {
      s.size = st.st_size;
      Fail(s, -EFBIG, kStageTooLarge);
      Queue(sqes, slot, kClose);
      return;
    }
    if (static_cast<int64_t>(have) >= st.st_size) {  // it grew after the fstat: keep what was read
      Keep(s, room, first, room + kRoom, second);
      Queue(sqes, slot, kClose);
      return;
    }
    s.size = st.st_size;
    capacity = static_cast<size_t>(st.st_size);
  } else {
    capacity = std::max(kFirstUnknown, 2 * have);
  }
  if (large_memory_ && s.size >= static_cast<int64_t>(kLargeMemoryMin) && (s.own = TakeLarge(capacity, &s.own_mapped)) != nullptr) {
    s.own_offset = 0;
  } else {
    s.own = s.size >= 0 ? NodeMemory(capacity, &s.own_offset, &s.own_ref) : AllocAligned(capacity);
  }
  if (s.own == nullptr) {
    Fail(s, -ENOMEM, kStageRead);
    Queue(sqes, slot, kClose);
    return;
  }
  s.own_capacity = capacity;
  memcpy(s.own, room, first);
  memcpy(s.own + first, room + kRoom, second);
  s.own_length = have;
  Queue(sqes, slot, kMore);
}

void FileGroup::AfterMore(SqeSource& sqes, unsigned slot) {
  Slot& s = slots_[slot];
  int32_t res = s.more;
  if (res < 0) {
    Fail(s, res, kStageRead);
  } else if (res == 0 || (s.own_length += static_cast<size_t>(res), s.size >= 0 && static_cast<int64_t>(s.own_length) >= s.size)) {
    Keep(s, nullptr, 0, nullptr, 0);
  } else if (static_cast<int64_t>(s.own_length) > kIoMaxLength) {
    s.size = static_cast<int64_t>(s.own_length);
    Fail(s, -EFBIG, kStageTooLarge);
  } else {
    if (s.own_length == s.own_capacity) {
      size_t capacity = std::min<size_t>(2 * s.own_capacity, static_cast<size_t>(kIoMaxLength) + 1);
      uint8_t* grown = AllocAligned(capacity);
      if (grown == nullptr) {
        Fail(s, -ENOMEM, kStageRead);
        Queue(sqes, slot, kClose);
        return;
      }
      memcpy(grown, s.own, s.own_length);
      free(s.own);
      s.own = grown;
      s.own_capacity = capacity;
    }
    Queue(sqes, slot, kMore);
    return;
  }
  Queue(sqes, slot, kClose);
}

void FileGroup::Fail(Slot& s, int32_t error, int32_t stage) {
  if (s.error != 0) return;
  s.error = error;
  s.error_stage = stage;
}

void FileGroup::Keep(Slot& s, const uint8_t* first, size_t first_length, const uint8_t* second, size_t second_length) {
  // malloc's memory (a file of unknown length, which had to grow) would reach JS as an external
  // ArrayBuffer, which cannot be transferred to a worker: copied into Node's (ReleaseOwn frees it
  // in Finish).
  if (s.own != nullptr && s.own_ref == nullptr && s.own_mapped == 0) {
    first = s.own;
    first_length = s.own_length;
    second = nullptr;
    second_length = 0;
  } else if (s.own != nullptr) {
    // The file's own memory becomes a chunk of its own.
    s.out_chunk = static_cast<int32_t>(chunks_.size());
    s.out_offset = static_cast<int32_t>(s.own_offset);
    s.out_length = static_cast<int64_t>(s.own_length);
    chunks_.push_back(Chunk{s.own - s.own_offset, s.own_offset + s.own_capacity, s.own_offset + s.own_length, s.own_ref, s.own_mapped});
    s.own = nullptr;
    s.own_ref = nullptr;
    s.own_mapped = 0;
    return;
  }
  size_t length = first_length + second_length;
  uint8_t* to = OutputRoom(length, &s.out_chunk, &s.out_offset);
  if (to == nullptr) {
    Fail(s, -ENOMEM, kStageRead);
    return;
  }
  if (first_length > 0) memcpy(to, first, first_length);
  if (second_length > 0) memcpy(to + first_length, second, second_length);
  s.out_length = static_cast<int64_t>(length);
}

uint8_t* FileGroup::OutputRoom(size_t length, int32_t* chunk, int32_t* offset) {
  if (slab_ >= 0) {
    Chunk& c = chunks_[slab_];
    size_t at = AlignedOffset(c.data, c.used);
    if (at + length <= c.capacity) {
      c.used = at + length;
      *chunk = slab_;
      *offset = static_cast<int32_t>(at);
      return c.data + at;
    }
  }
  // A new slab, sized for the files still to come (a few KiB each, as a guess).
  // A slab is a Buffer of Node's own (uninitialized) memory, which the engine frees as soon as a
  // collection finds it unreachable: freed and recycled by malloc even in a program that never
  // yields to the event loop, its pages stay mapped, and a new slab costs no page faults. (Memory
  // of the addon's own, handed over as an external ArrayBuffer, is freed only from the event
  // loop.) Kept below malloc's mmap threshold for that reason.
  size_t capacity = std::max(length + kAlign, std::min(kSlabMax, AlignUp((count_ - finished_) * 4096 + length, 4096)));
  size_t byte_offset = 0;
  napi_ref ref = nullptr;
  uint8_t* data = NodeMemory(capacity, &byte_offset, &ref);
  if (data == nullptr) return nullptr;
  // Offsets count from the start of the ArrayBuffer.
  uint8_t* base = data - byte_offset;
  size_t at = AlignedOffset(base, byte_offset);
  slab_ = static_cast<int32_t>(chunks_.size());
  chunks_.push_back(Chunk{base, byte_offset + capacity, at + length, ref, 0});
  *chunk = slab_;
  *offset = static_cast<int32_t>(at);
  return base + at;
}

void FileGroup::Finish(unsigned slot) {
  Slot& s = slots_[slot];
  int32_t* r = results_ + 4 * static_cast<size_t>(s.file);
  if (s.error != 0) {
    r[0] = s.error;
    r[1] = s.error_stage;
    if (s.error_stage == kStageTooLarge) {  // the size, for the message: low and high 32 bits
      r[2] = static_cast<int32_t>(static_cast<uint64_t>(s.size) & 0xffffffffu);
      r[3] = static_cast<int32_t>(static_cast<uint64_t>(s.size) >> 32);
    }
  } else {
    r[0] = static_cast<int32_t>(s.out_length);
    r[1] = 0;
    r[2] = s.out_chunk;
    r[3] = s.out_offset;
  }
  ReleaseOwn(s);
  s = Slot{};
  free_slots_.push_back(slot);
  finished_++;
}

void FileGroup::Abandon() {
  abandoned_ = true;
  touched_.clear();
  for (unsigned slot = 0; slot < slots_.size(); slot++) {
    if (slots_[slot].file >= 0 && slots_[slot].in_kernel == 0) FinishAbandoned(slot);
  }
  // Files never started: cancelled.
  for (; started_ < count_; started_++, finished_++) {
    results_[4 * static_cast<size_t>(started_)] = -ECANCELED;
    results_[4 * static_cast<size_t>(started_) + 1] = kStageOpen;
  }
}

// A file of an abandoned group that the kernel is done with: its fd is
// closed here, and a file whose bytes were not all read is cancelled.
void FileGroup::FinishAbandoned(unsigned slot) {
  Slot& s = slots_[slot];
  if (s.fd >= 0) close(s.fd);
  s.fd = -1;
  if (s.out_chunk < 0) Fail(s, -ECANCELED, kStageRead);
  Finish(slot);
}

void FileGroup::PendingData(std::vector<uint64_t>* out) const {
  for (unsigned slot = 0; slot < slots_.size(); slot++) {
    if (slots_[slot].in_kernel == 0) continue;
    for (unsigned step = kOpen; step <= kClose; step++) out->push_back(Data(slot, static_cast<Step>(step)));
  }
}

uint8_t* FileGroup::NodeMemory(size_t size, size_t* offset, napi_ref* ref) {
  void* data = nullptr;
  napi_value buffer, array_buffer;
  napi_typedarray_type type;
  size_t count = 0;
  if (env_ == nullptr || napi_create_buffer(env_, std::max<size_t>(size, 1), &data, &buffer) != napi_ok ||
      napi_get_typedarray_info(env_, buffer, &type, &count, &data, &array_buffer, offset) != napi_ok ||
      napi_create_reference(env_, array_buffer, 1, ref) != napi_ok) {
    *ref = nullptr;
    return nullptr;
  }
  return static_cast<uint8_t*>(data);
}

void FileGroup::FreeMemory(uint8_t* data, napi_ref ref, size_t mapped) {
  if (mapped != 0) GiveBackLarge(data, mapped);
  else if (ref == nullptr) free(data);
  else if (env_ != nullptr) napi_delete_reference(env_, ref);
}

void FileGroup::ReleaseOwn(Slot& s) {
  FreeMemory(s.own, s.own_ref, s.own_mapped);
  s.own = nullptr;
  s.own_ref = nullptr;
  s.own_mapped = 0;
}

void FileGroup::Release(Chunk& c) {
  FreeMemory(c.data, c.ref, c.mapped);
  c.data = nullptr;
  c.ref = nullptr;
  c.mapped = 0;
}

Napi::Array FileGroup::TakeChunks(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env, chunks_.size());
  for (size_t i = 0; i < chunks_.size(); i++) {
    Chunk& c = chunks_[i];
    napi_value buffer = nullptr;
    if (c.ref != nullptr) {
      napi_get_reference_value(env, c.ref, &buffer);
    } else {  // large memory (Keep puts everything else in Buffers of Node's)
      buffer = LargeArrayBuffer(env, c.data, c.mapped, c.used);
      if (buffer != nullptr) {
        c.data = nullptr;  // the ArrayBuffer gives it back when collected
        c.mapped = 0;
      } else {
        // No external ArrayBuffers in this runtime: a copy in one of the engine's own.
        void* copy = nullptr;
        if (napi_create_arraybuffer(env, c.used, &copy, &buffer) == napi_ok) memcpy(copy, c.data, c.used);
      }
    }
    Release(c);
    if (buffer != nullptr) out.Set(static_cast<uint32_t>(i), Napi::Value(env, buffer));
  }
  chunks_.clear();
  slab_ = -1;
  return out;
}

}  // namespace uringfs
