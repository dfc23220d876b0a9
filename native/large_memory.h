// Memory for the bytes of a large file (2 MiB or more) that lib/ or a file
// group hands to JS. Fresh memory costs a page fault per 4 KiB page as the
// kernel copies into it, and a VM's fault costs more than the copy of its
// page: 16 files of 4 MiB held at once read at a quarter of readFileSync's
// speed. Two remedies:
// - an anonymous mapping aligned to 2 MiB and advised MADV_HUGEPAGE takes one
//   fault per 2 MiB where transparent huge pages are enabled ('always' or
//   'madvise'), and is no worse than malloc's memory where not;
// - the memory of a collected ArrayBuffer goes back to a pool (MADV_FREE, so
//   the kernel may take its pages under memory pressure) and the next large
//   file of about its size reuses it: pages mapped already, nothing to zero.
#pragma once
#include <napi.h>
#include <cstddef>
#include <cstdint>

namespace uringfs {

constexpr size_t kLargeMemoryMin = 2u << 20;
// At most this much large memory handed to JS and not yet given back: the
// engine frees external memory only when the event loop turns, so a loop
// that never yields would otherwise gather it without bound. Past the cap,
// callers use Node's memory, as they do below kLargeMemoryMin.
constexpr size_t kLargeMemoryCap = 512u << 20;
// At most this much idle in the pool; memory given back beyond it is unmapped.
constexpr size_t kLargePoolCap = 256u << 20;

// Room for `size` (>= kLargeMemoryMin) bytes, uninitialized (a pooled region
// holds what it held); *mapped is its length, for GiveBackLarge. Null past the
// cap or if mmap fails.
uint8_t* TakeLarge(size_t size, size_t* mapped);
void GiveBackLarge(uint8_t* data, size_t mapped);
// An ArrayBuffer of `length` bytes over `data` from TakeLarge, which gives it
// back when collected; null (the caller still owns `data`) if the runtime
// refuses external memory.
napi_value LargeArrayBuffer(napi_env env, uint8_t* data, size_t mapped, size_t length);

}  // namespace uringfs
