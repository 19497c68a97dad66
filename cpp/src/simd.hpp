// Which SIMD instruction set the kernels use: detected once at first use, overridable for tests.
//
// The choice is made at run time, never at compile time: the library is built for any x86-64 and
// the AVX2 and AVX-512 code only ever runs on a CPU that reports it. DENSENN_SIMD=scalar|avx2|avx512
// in the environment asks for a lower level (a higher one than the CPU has is not granted).
#pragma once

#include <atomic>

namespace densenn::detail {

enum class SimdLevel : int { scalar = 0, avx2 = 1, avx512 = 2 };

// The level in use, or -1 before the first call (read on every kernel call: kept inline and cheap).
extern std::atomic<int> current_simd_level;
SimdLevel first_simd_level();  // detects, reads DENSENN_SIMD, and stores the result

// The level the kernels use now.
inline SimdLevel simd_level() {
  const int level = current_simd_level.load(std::memory_order_relaxed);
  return level >= 0 ? SimdLevel(level) : first_simd_level();
}
// The best level this CPU and this build support.
SimdLevel best_simd_level();
// Makes later kernel calls use `level`; returns false (and changes nothing) if unsupported here.
bool set_simd_level(SimdLevel level);
// "scalar", "avx2" or "avx512".
const char* simd_level_name(SimdLevel level);

}  // namespace densenn::detail
