// parallel_for: split a range of independent output rows over densenn's persistent worker threads.
#pragma once

#include <functional>

#include "densenn/matrix.hpp"

namespace densenn::detail {

// Calls body(begin, end) on disjoint chunks covering [0, n). Uses several threads only when
// `work` (a rough count of multiply-adds) is large enough to pay for waking them; otherwise
// runs body(0, n) on the calling thread. Each row is computed by exactly one call, so the
// result never depends on how the range was split.
void parallel_for(index_t n, double work, const std::function<void(index_t, index_t)>& body);

}  // namespace densenn::detail
