// SIMD level detection: CPUID through the compiler's builtins, the DENSENN_SIMD override, and the switch.
#include "simd.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "densenn/threads.hpp"

namespace densenn {
namespace detail {
namespace {

SimdLevel detect() {
#if defined(DENSENN_X86_DISPATCH)
  // These builtins also check that the operating system saves the wide registers (XGETBV).
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::avx2;
#endif
  return SimdLevel::scalar;
}

SimdLevel initial_level() {
  const SimdLevel best = best_simd_level();
  const char* env = std::getenv("DENSENN_SIMD");
  if (!env) return best;
  for (SimdLevel level : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512})
    if (std::strcmp(env, simd_level_name(level)) == 0) return int(level) < int(best) ? level : best;
  return best;  // an unknown name changes nothing
}

}  // namespace

std::atomic<int> current_simd_level{-1};

SimdLevel first_simd_level() {
  static const SimdLevel initial = initial_level();  // once, whichever thread comes first
  int expected = -1;
  current_simd_level.compare_exchange_strong(expected, int(initial), std::memory_order_relaxed);
  return SimdLevel(current_simd_level.load(std::memory_order_relaxed));
}

SimdLevel best_simd_level() {
  static const SimdLevel best = detect();
  return best;
}

bool set_simd_level(SimdLevel level) {
  if (int(level) < 0 || int(level) > int(best_simd_level())) return false;
  first_simd_level();  // the environment's choice is made (and then overridden) exactly once
  current_simd_level.store(int(level), std::memory_order_relaxed);
  return true;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512:
      return "avx512";
    case SimdLevel::avx2:
      return "avx2";
    default:
      return "scalar";
  }
}

}  // namespace detail

const char* simd_level() { return detail::simd_level_name(detail::simd_level()); }

}  // namespace densenn
