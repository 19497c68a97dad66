// How densenn's kernels use the CPU: how many threads, and which SIMD instruction set.
//
// Work is split by blocks of outputs, never inside a sum, so results are bitwise the same for any
// thread count. Small problems always run on the calling thread. Idle threads sleep; they never
// spin.
#pragma once

namespace densenn {

// Sets the number of threads (>= 1) used by later calls; throws std::invalid_argument otherwise.
void set_num_threads(int n);

// The number of threads kernels may use (default: the number of hardware threads, at most 8).
int get_num_threads();

// The instruction set the dense kernels use: "avx512", "avx2" (with FMA) or "scalar". Chosen at
// first use as the best one the CPU supports; the environment variable DENSENN_SIMD (set to one of
// these names before the first call) asks for a lower one, for instance to compare results.
const char* simd_level();

}  // namespace densenn
