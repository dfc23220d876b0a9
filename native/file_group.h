// Whole-file reads of many files as one op of the io_uring Ring: the ring
// runs every file's open → read → close itself, reaping and queueing each
// next step natively, and lib/ sees one completion for the whole group.
//
// No fstat on the common path: each file is read into a guessed room with a
// second read linked behind it (IOSQE_IO_HARDLINK, both at the current
// position). That second read returning 0 is the end of the file for every
// kind of file — regular, /proc, FIFO, device — so a short first read never
// has to be trusted; only a file that still has bytes after the room goes on
// (then with an fstat, into memory of its own). The room is memory the group
// reuses file after file (hot pages); each file's bytes are then copied,
// 64-byte aligned, into output slabs that lib/ receives as ArrayBuffers.
#pragma once
#include <liburing.h>
#include <napi.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace uringfs {

// user_data of a group's SQEs: kGroupBit | key << 27 | slot << 3 | step.
// Ops' ids are below 2^31 and the ring's own requests are near 2^64.
constexpr uint64_t kGroupBit = 1ull << 62;
inline bool IsGroupData(uint64_t data) { return (data & kGroupBit) != 0 && data < (kGroupBit << 1); }
inline uint32_t GroupKeyOf(uint64_t data) { return static_cast<uint32_t>((data >> 27) & 0xffffffffu); }
// user_data of the SQEs of a batch handed down as records: kRecordBit | key << 27 | record index.
constexpr uint64_t kRecordBit = 1ull << 61;
inline bool IsRecordData(uint64_t data) { return (data >> 61) == 1; }
inline uint64_t RecordData(uint32_t key, uint32_t index) {
  return kRecordBit | (static_cast<uint64_t>(key) << 27) | (index & 0x7ffffffu);
}
inline uint32_t RecordKeyOf(uint64_t data) { return static_cast<uint32_t>((data >> 27) & 0xffffffffu); }
inline uint32_t RecordIndexOf(uint64_t data) { return static_cast<uint32_t>(data & 0x7ffffffu); }

// A file's failing stage, in results[4 * i + 1] (lib/readfiles.ts names them);
// with kStageTooLarge, its size in results[4 * i + 2] (low 32 bits) and [+ 3] (high).
enum FileStage : int32_t { kStageOpen = 0, kStageRead = 1, kStageFstat = 2, kStageClose = 3, kStageTooLarge = 4 };

// Where a group takes SQEs from: the ring. `count` SQEs that must reach the
// kernel in one submit (a linked pair); nullptr when the SQ cannot give them.
class SqeSource {
 public:
  virtual bool Reserve(unsigned count) = 0;
  virtual io_uring_sqe* Sqe() = 0;

 protected:
  ~SqeSource() = default;
};

// A bit of a group's `flags` beside the open flags (none of which uses it):
// large files may go into large memory (large_memory.h). lib/ sets it for
// the async readFiles only (see lib/memory.ts).
constexpr int kGroupLargeMemory = 1 << 30;

class FileGroup {
 public:
  // `paths`: `count` NUL-terminated paths one after the other (lib/ pins
  // them until the group completes). `results`: 4 int32 per file, written as
  // each file finishes: [bytes or -errno, stage, chunk, offset in chunk].
  // Runs on the JS thread of `env` (output slabs are the engine's Buffers).
  // `landing`: memory for `window` rooms (LandingSize) that an earlier group
  // gave back (its pages already mapped), or null to allocate it.
  FileGroup(napi_env env, uint32_t id, uint32_t key, const char* paths, size_t paths_length, uint32_t count, int flags,
            int32_t* results, unsigned window, uint8_t* landing);
  ~FileGroup();
  FileGroup(const FileGroup&) = delete;
  FileGroup& operator=(const FileGroup&) = delete;

  uint32_t id() const { return id_; }
  uint32_t key() const { return key_; }
  // Record a CQE of this group (no SQE is queued here: see Advance).
  void OnCqe(uint64_t data, int32_t res);
  // Queue each next step, and the first steps of files not started yet.
  void Advance(SqeSource& sqes);
  // Every file has its result.
  bool done() const { return finished_ == count_; }
  // No SQE of the group is in the kernel.
  bool idle() const { return in_kernel_ == 0; }
  // The ring is closing: queue nothing more, close the fds of files with no
  // SQE in the kernel (direct syscalls), and finish them.
  void Abandon();
  // user_data of every SQE that may be in the kernel (cancel op by op).
  void PendingData(std::vector<uint64_t>* out) const;
  // Once done: the rooms' memory, for the next group (null if given back already).
  uint8_t* GiveBackLanding() {
    uint8_t* landing = landing_;
    landing_ = nullptr;
    return landing;
  }
  static size_t LandingSize(unsigned window) { return window * (kRoom + kTail); }
  static void FreeLanding(uint8_t* landing) { free(landing); }
  // The output memory, as ArrayBuffers that free it when collected; the
  // group no longer owns it.
  Napi::Array TakeChunks(Napi::Env env);

  // The room each file is first read into, and the room of the read linked
  // behind it. A file longer than both goes on in memory of its own.
  static constexpr size_t kRoom = 32 * 1024;
  static constexpr size_t kTail = 4 * 1024;

 private:
  enum Step : unsigned { kOpen = 0, kRead = 1, kReadTail = 2, kMore = 3, kClose = 4 };
  struct Slot {
    int32_t file = -1;  // index of the file this slot carries, -1: free
    const char* path = nullptr;
    int fd = -1;
    unsigned in_kernel = 0;  // this slot's SQEs the kernel has not completed
    int32_t read = 0, tail = 0, more = 0;  // results of the reads
    uint8_t got = 0;  // bit per step whose CQE arrived since the last Advance
    int retry = -1;  // a step the SQ had no room for, queued on the next Advance
    // Memory of its own, for a file longer than the room.
    uint8_t* own = nullptr;
    // A regular file's own memory is a Buffer of Node's (like a slab: the kernel reads into it, the
    // reference keeps it alive); the memory of a file of unknown length, which may have to grow, malloc's.
    napi_ref own_ref = nullptr;
    // A regular file of kLargeMemoryMin or more: memory from TakeLarge, of this mapped length (0: not).
    size_t own_mapped = 0;
    size_t own_offset = 0;  // of `own` in its ArrayBuffer
    size_t own_capacity = 0, own_length = 0;
    int64_t size = -1;  // a regular file's size from fstat, -1: read to the end
    int32_t error = 0, error_stage = 0;
    // Where the bytes went (Keep).
    int64_t out_length = 0;
    int32_t out_chunk = -1, out_offset = 0;
  };

  uint64_t Data(unsigned slot, Step step) const;
  uint8_t* Room(unsigned slot) const { return landing_ + slot * (kRoom + kTail); }
  // Queue `step` for the file in `slot` (kRead: the read and its linked
  // tail); false when the SQ had no room (retried on the next Advance).
  bool Queue(SqeSource& sqes, unsigned slot, Step step);
  void AfterReads(SqeSource& sqes, unsigned slot);
  void AfterMore(SqeSource& sqes, unsigned slot);
  void Fail(Slot& s, int32_t error, int32_t stage);
  // The file's bytes are complete: place them in the output.
  void Keep(Slot& s, const uint8_t* first, size_t first_length, const uint8_t* second, size_t second_length);
  void Finish(unsigned slot);
  void FinishAbandoned(unsigned slot);
  uint8_t* OutputRoom(size_t length, int32_t* chunk, int32_t* offset);

  napi_env env_;
  uint32_t id_, key_;
  const char* next_path_;
  const char* paths_end_;
  uint32_t count_, started_ = 0, finished_ = 0;
  int flags_;  // open flags
  bool large_memory_;  // kGroupLargeMemory was set
  int32_t* results_;
  std::vector<Slot> slots_;
  std::vector<unsigned> free_slots_;
  std::vector<unsigned> touched_;  // slots with CQEs since the last Advance
  unsigned in_kernel_ = 0;
  bool abandoned_ = false;
  uint8_t* landing_ = nullptr;
  struct Chunk {
    uint8_t* data;  // from the start of the ArrayBuffer
    size_t capacity, used;
    napi_ref ref;  // a slab or a file's own Buffer of Node's: its ArrayBuffer; null: large memory
    size_t mapped;  // memory from TakeLarge: its mapped length; 0: not
  };
  void Release(Chunk& c);
  // A Buffer of Node's own memory, uninitialized: its data, its offset in its ArrayBuffer and a
  // reference to that ArrayBuffer; null if the engine refused.
  uint8_t* NodeMemory(size_t size, size_t* offset, napi_ref* ref);
  void ReleaseOwn(Slot& s);
  // Memory from TakeLarge (`mapped`: its length), NodeMemory (its reference) or malloc (neither).
  void FreeMemory(uint8_t* data, napi_ref ref, size_t mapped);
  std::vector<Chunk> chunks_;
  int32_t slab_ = -1;  // the chunk small files are carved from now
};

}  // namespace uringfs
