// Heap allocations counted by a replaced global operator new: after the first call with a given
// batch size, training steps and inference allocate nothing (with 1 and with 2 threads).
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "kernels_internal.hpp"
#include "naive.hpp"
#include "test_data.hpp"

namespace {
std::atomic<long> allocations{0};

void* counted_malloc(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}

// Over-allocates and keeps the block's start just before the aligned pointer, portably.
void* counted_aligned(std::size_t size, std::size_t alignment) {
  void* raw = counted_malloc(size + alignment + sizeof(void*));
  if (!raw) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(raw) + sizeof(void*);
  void* aligned = reinterpret_cast<void*>((start + alignment - 1) / alignment * alignment);
  static_cast<void**>(aligned)[-1] = raw;
  return aligned;
}

void aligned_free(void* p) {
  if (p) std::free(static_cast<void**>(p)[-1]);
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_malloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* p = counted_aligned(size, static_cast<std::size_t>(alignment))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) { return operator new(size, alignment); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { aligned_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { aligned_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { aligned_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { aligned_free(p); }

using namespace densenn;
using testing::matrix;

template <typename F>
long allocations_during(F&& f) {
  const long before = allocations.load();
  f();
  return allocations.load() - before;
}

TEST(the_counter_sees_allocations) {
  CHECK(allocations_during([] { Matrix<float> m(3, 4); }) == 1);
}

// One training step (forward, loss, backward, SGD) and one inference, repeated: after the first
// round nothing is allocated, whatever the thread count.
template <typename T>
void check_training(const std::vector<index_t>& sizes, index_t batch, bool labels) {
  check::context = std::string(sizeof(T) == 4 ? "float" : "double") + ", batch " + std::to_string(batch) +
                   ", first width " + std::to_string(sizes[0]);
  Sequential<T> net;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    if (i > 0) {
      if (i % 2)
        net.add(ReLU<T>());
      else
        net.add(Tanh<T>());
    }
    net.add(Dense<T>(sizes[i], sizes[i + 1], i));
  }
  const index_t out = sizes.back();
  const Matrix<T> x = matrix<T>(batch, sizes[0], 1), target = matrix<T>(batch, out, 2);
  const Matrix<T> x_one = matrix<T>(1, sizes[0], 3);
  std::vector<std::int64_t> label(batch);
  for (index_t r = 0; r < batch; ++r) label[r] = r % out;
  Matrix<T> grad(batch, out);
  MSELoss<T> mse;
  SoftmaxCrossEntropyLoss<T> ce;
  const auto step = [&] {
    MatrixView<const T> y = net.forward(x);
    if (labels) {
      ce.forward(y, label.data());
      ce.backward(grad.view());
    } else {
      mse.forward(y, target);
      mse.backward(grad.view());
    }
    net.backward(grad, false);
    net.step(T(0.01));
    net.predict(x);
    net.predict(x_one);
  };
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    step();  // the first round sizes every buffer (and starts the worker threads)
    CHECK(allocations_during([&] {
            for (int k = 0; k < 3; ++k) step();
          }) == 0);
    // The input gradient too, through the returned view.
    net.forward(x);
    net.backward(grad);
    CHECK(allocations_during([&] {
            net.forward(x);
            net.backward(grad);
          }) == 0);
  }
}

TEST(training_and_inference_allocate_nothing_after_the_first_call) {
  const int saved = get_num_threads();
  check_training<float>({16, 64, 64, 1}, 1, false);     // the benchmark's tiny net
  check_training<float>({64, 32, 32, 10}, 32, true);    // S
  check_training<float>({784, 256, 128, 10}, 64, true);  // M: large enough to use both threads
  check_training<double>({33, 70, 19, 5}, 13, true);
  set_num_threads(saved);
}

TEST(kernels_allocate_nothing_after_the_first_call) {
  const index_t batch = 64, in = 300, out = 70;
  const auto x = naive::values<float>(batch * in, 4), w = naive::values<float>(out * in, 5);
  const auto dy = naive::values<float>(batch * out, 6);
  std::vector<float> y(batch * out), dx(batch * in), dw(out * in);
  const auto all = [&] {
    dense_forward(y.data(), x.data(), w.data(), w.data(), batch, in, out);
    detail::dense_forward_act(y.data(), x.data(), w.data(), w.data(), 1, in, out, true);
    dense_backward_input(dx.data(), dy.data(), w.data(), batch, in, out);
    dense_backward_weight(dw.data(), dy.data(), x.data(), batch, in, out);
  };
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    all();
    CHECK(allocations_during(all) == 0);
  }
}

TEST(frozen_predict_allocates_nothing_after_the_first_call) {
  Sequential<float> net;
  net.add(Dense<float>(16, 64, 1)).add(ReLU<float>()).add(Dense<float>(64, 64, 2)).add(ReLU<float>());
  net.add(Dense<float>(64, 1, 3));
  const FrozenNet<float> frozen(net);
  const Matrix<float> x = matrix<float>(3, 16, 4);
  Matrix<float> y(3, 1);
  frozen.predict(x, y.view());
  CHECK(allocations_during([&] {
          for (int k = 0; k < 3; ++k) frozen.predict(x, y.view());
        }) == 0);
}
