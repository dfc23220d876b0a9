// Large-file memory on huge pages, pooled (see large_memory.h). Exports
// allocLarge(size) → ArrayBuffer | undefined for lib/, and
// largeMemory() → { held, pooled } in bytes (for tests).
#include "large_memory.h"
#include <sys/mman.h>
#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>
#include "common.h"

namespace uringfs {
namespace {

constexpr size_t kHugePage = 2u << 20;
// Lengths are rounded to this, so that files of about one size share regions.
constexpr size_t kGrain = 64u << 10;

// Process-wide, as the memory is: every worker's buffers count, and a region
// one worker's buffer gave back serves another's next file.
std::atomic<size_t> held{0};
struct Region {
  uint8_t* data;
  size_t mapped;
};
struct Pool {
  std::mutex mutex;
  std::vector<Region> regions;  // guarded by mutex
  size_t bytes = 0;  // in `regions`, guarded by mutex
};
// Never destroyed: a worker's finalizer may give memory back while the
// process exits and runs the destructors of statics.
Pool& pool = *new Pool();

uint8_t* MapFresh(size_t length) {
  // Reserve 2 MiB more and keep the part that starts on a 2 MiB boundary:
  // only a 2 MiB range wholly inside a mapping can get a huge page. The
  // last, partial one gets 4 KiB pages.
  size_t reserve = length + kHugePage;
  void* p = mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<uintptr_t>(p);
  uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(p, aligned - start);
  uintptr_t end = aligned + length;
  if (start + reserve > end) munmap(reinterpret_cast<void*>(end), start + reserve - end);
  // Advice only: where THP is off the memory works the same, page by page.
  madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);
  return reinterpret_cast<uint8_t*>(aligned);
}

// The smallest pooled region that holds `length` and wastes at most a quarter of it.
uint8_t* FromPool(size_t length, size_t* mapped) {
  std::lock_guard<std::mutex> lock(pool.mutex);
  std::vector<Region>& regions = pool.regions;
  size_t best = regions.size();
  for (size_t i = 0; i < regions.size(); i++) {
    if (regions[i].mapped >= length && regions[i].mapped <= length + length / 4 &&
        (best == regions.size() || regions[i].mapped < regions[best].mapped)) {
      best = i;
    }
  }
  if (best == regions.size()) return nullptr;
  Region r = regions[best];
  regions[best] = regions.back();
  regions.pop_back();
  pool.bytes -= r.mapped;
  *mapped = r.mapped;
  return r.data;
}

}  // namespace

uint8_t* TakeLarge(size_t size, size_t* mapped) {
  size_t length = (size + kGrain - 1) & ~(kGrain - 1);
  // The most it can take (a pooled region may be a quarter longer), counted
  // before it takes it so that two threads cannot both pass the cap; then
  // corrected to what it took.
  size_t most = length + length / 4;
  if (held.fetch_add(most, std::memory_order_relaxed) + most > kLargeMemoryCap) {
    held.fetch_sub(most, std::memory_order_relaxed);
    return nullptr;
  }
  uint8_t* data = FromPool(length, mapped);
  if (data == nullptr) {
    data = MapFresh(length);
    *mapped = length;
  }
  held.fetch_sub(most - (data != nullptr ? *mapped : 0), std::memory_order_relaxed);
  return data;
}

void GiveBackLarge(uint8_t* data, size_t mapped) {
  if (data == nullptr) return;
  held.fetch_sub(mapped, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (pool.bytes + mapped <= kLargePoolCap) {
      // Idle: the kernel may take the pages if memory runs short (a later
      // write just faults them back); until then they are reused as they are.
      madvise(data, mapped, MADV_FREE);
      pool.regions.push_back(Region{data, mapped});
      pool.bytes += mapped;
      return;
    }
  }
  munmap(data, mapped);
}

napi_value LargeArrayBuffer(napi_env env, uint8_t* data, size_t mapped, size_t length) {
  napi_value out = nullptr;
  auto give_back = [](napi_env, void* data, void* hint) { GiveBackLarge(static_cast<uint8_t*>(data), reinterpret_cast<size_t>(hint)); };
  if (napi_create_external_arraybuffer(env, data, length, give_back, reinterpret_cast<void*>(mapped), &out) != napi_ok) return nullptr;
  return out;
}

namespace {

// allocLarge(size): an ArrayBuffer of `size` uninitialized bytes of large
// memory, or undefined (below the minimum, past the cap, or no external
// memory in this runtime): then lib/ allocates as usual.
Napi::Value AllocLarge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double requested = info[0].As<Napi::Number>().DoubleValue();
  if (!(requested >= static_cast<double>(kLargeMemoryMin)) || requested > static_cast<double>(kLargeMemoryCap)) return env.Undefined();
  size_t size = static_cast<size_t>(requested), mapped = 0;
  uint8_t* data = TakeLarge(size, &mapped);
  if (data == nullptr) return env.Undefined();
  napi_value buffer = LargeArrayBuffer(env, data, mapped, size);
  if (buffer == nullptr) {
    GiveBackLarge(data, mapped);
    return env.Undefined();
  }
  return Napi::Value(env, buffer);
}

Napi::Value LargeMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("held", Napi::Number::New(env, static_cast<double>(held.load(std::memory_order_relaxed))));
  std::lock_guard<std::mutex> lock(pool.mutex);
  out.Set("pooled", Napi::Number::New(env, static_cast<double>(pool.bytes)));
  return out;
}

}  // namespace

Napi::Object InitLargeMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("allocLarge", Napi::Function::New(env, AllocLarge, "allocLarge"));
  exports.Set("largeMemory", Napi::Function::New(env, LargeMemory, "largeMemory"));
  exports.Set("largeMemoryMin", Napi::Number::New(env, static_cast<double>(kLargeMemoryMin)));
  return exports;
}

}  // namespace uringfs
