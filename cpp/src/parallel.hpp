// parallel_for: split a range of independent output blocks over densenn's persistent worker threads.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "densenn/matrix.hpp"

namespace densenn::detail {

// A non-owning reference to a callable body(begin, end). Unlike std::function it never allocates,
// so a kernel call costs no heap allocation whatever its lambda captures.
class RangeBody {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeBody>>>
  RangeBody(F&& body)  // NOLINT: implicit on purpose, so a lambda can be passed as it is
      : object_(const_cast<void*>(static_cast<const void*>(&body))),
        call_([](void* object, index_t begin, index_t end) { (*static_cast<std::remove_reference_t<F>*>(object))(begin, end); }) {}
  void operator()(index_t begin, index_t end) const { call_(object_, begin, end); }

 private:
  void* object_;
  void (*call_)(void*, index_t, index_t);
};

// Below this many multiply-adds per thread, waking a worker costs more than it saves: small
// problems stay on the calling thread. A wake-up costs about 25 us on a 2-core VM; there a product
// of 1 M multiply-adds ran slower with 2 threads than with 1 (by up to 35%), one of 2 M faster.
constexpr double kMinWorkPerThread = 1 << 20;

void parallel_for_pool(index_t n, double work, RangeBody body);

// This thread's scratch buffer, 64-byte aligned, of at least `bytes` bytes: made at least
// kScratchBytes long on first use (a worker makes it before its first job), and grown only for a
// larger request, so kernels that stay within kScratchBytes never allocate after the first call.
constexpr std::size_t kScratchBytes = std::size_t(1) << 20;
void* thread_scratch(std::size_t bytes);

// A second buffer of this thread, 64-byte aligned, of at least `bytes` bytes (grown only for a
// larger request): for what a job of this thread's shares with the workers, which read it while
// this thread waits for them.
void* thread_shared_scratch(std::size_t bytes);

// Calls body(begin, end) on disjoint chunks covering [0, n). Uses several threads only when
// `work` (a rough count of multiply-adds) is large enough to pay for waking them, and never more
// than work / kMinWorkPerThread of them; otherwise runs body(0, n) on the calling thread. The
// caller must compute each index the same way whatever chunk it falls in, so that the result
// never depends on the thread count.
template <typename F>
void parallel_for(index_t n, double work, F&& body) {
  if (n <= 0) return;
  if (n == 1 || work < 2 * kMinWorkPerThread) return body(index_t(0), n);  // no pool, no indirection
  parallel_for_pool(n, work, RangeBody(body));
}

}  // namespace densenn::detail
