// How many threads densenn's kernels may use.
//
// Work is split by output rows, never inside a sum, so results are bitwise the same for any
// thread count. Small problems always run on the calling thread.
#pragma once

namespace densenn {

// Sets the number of threads (>= 1) used by later calls; throws std::invalid_argument otherwise.
void set_num_threads(int n);

// The number of threads kernels may use (default: the number of hardware threads, at most 8).
int get_num_threads();

}  // namespace densenn
