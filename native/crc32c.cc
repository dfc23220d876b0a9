// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for uringfs/log's record frames. On x86-64
// with SSE4.2 the crc32 instruction does 8 bytes per cycle or so — about 15× the JS table code on
// a 4 KiB record; elsewhere a slicing-by-8 table. The tables are built once per process: they are
// never written after, so workers share them safely.
#include <cstdlib>
#include <cstring>
#include "common.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace uringfs {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct Tables {
  uint32_t t[8][256];
  Tables() {
    for (uint32_t n = 0; n < 256; n++) {
      uint32_t c = n;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
      for (int s = 1; s < 8; s++) t[s][n] = t[0][t[s - 1][n] & 0xff] ^ (t[s - 1][n] >> 8);
    }
  }
};

const Tables& SoftwareTables() {
  static const Tables tables;  // built on first use, thread-safe (C++11 statics)
  return tables;
}

uint32_t Software(uint32_t c, const uint8_t* p, size_t n) {
  const auto& t = SoftwareTables().t;
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; n > 0; p++, n--) c = t[0][(c ^ *p) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Hardware(uint32_t c, const uint8_t* p, size_t n) {
  uint64_t c64 = c;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    c64 = _mm_crc32_u64(c64, word);
  }
  c = static_cast<uint32_t>(c64);
  for (; n > 0; p++, n--) c = _mm_crc32_u8(c, *p);
  return c;
}

bool TableForTests() {
  const char* hook = getenv("URINGFS_TEST_CRC32C_TABLE");
  return hook != nullptr && strcmp(hook, "1") == 0;
}

// URINGFS_TEST_CRC32C_TABLE=1 (tests) takes the table path on a CPU that has the instruction.
bool HasHardware() {
  static const bool has = __builtin_cpu_supports("sse4.2") && !TableForTests();
  return has;
}
#endif

// Continue `crc` (a previous result; 0 to start) over `bytes`.
uint32_t Crc32c(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
#if defined(__x86_64__)
  if (HasHardware()) return ~Hardware(c, p, n);
#endif
  return ~Software(c, p, n);
}

// crc32c(view, crc, start, end) → the CRC32C of view[start, end) continuing `crc`, or -1 when the
// range does not lie within the view (lib/ checks first: this only guards memory).
Napi::Value Crc32cOf(const Napi::CallbackInfo& info) {
  Bytes b = ViewBytes(info[0]);
  uint32_t crc = info[1].As<Napi::Number>().Uint32Value();
  int64_t start = info[2].As<Napi::Number>().Int64Value();
  int64_t end = info[3].As<Napi::Number>().Int64Value();
  if (start < 0 || end < start || static_cast<uint64_t>(end) > b.length || (b.data == nullptr && end > start)) {
    return Napi::Number::New(info.Env(), -1);
  }
  return Napi::Number::New(info.Env(), Crc32c(crc, b.data + start, static_cast<size_t>(end - start)));
}

}  // namespace

Napi::Object InitCrc32c(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New(env, Crc32cOf, "crc32c"));
#if defined(__x86_64__)
  exports.Set("crc32cHardware", Napi::Boolean::New(env, HasHardware()));
#else
  exports.Set("crc32cHardware", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace uringfs
