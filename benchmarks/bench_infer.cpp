// Latency of the benchmark's tiny net (16-64-64-1, ReLU) through the C++ API: batch-1 predict of
// the network, of a FrozenNet made from it (the inference-only snapshot), and one batch-1 training
// step (forward, MSE loss, backward, SGD), in nanoseconds per call.
//
// Usage: densenn_bench_infer [calls per repetition] [repetitions]
// Each repetition times a run of calls; the figure is the median over repetitions (min and max
// beside it), after a warm-up, so a short disturbance from other processes moves only one sample.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "densenn/densenn.hpp"

namespace {

struct Stats {
  double median, min, max;
};

// ns per call of f(), over `reps` timed runs of `calls` calls each.
template <typename F>
Stats time_per_call(F&& f, long calls, int reps) {
  for (long c = 0; c < calls / 10 + 1; ++c) f();  // warm-up: buffers sized, caches and predictors hot
  std::vector<double> ns;
  for (int r = 0; r < reps; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (long c = 0; c < calls; ++c) f();
    const auto stop = std::chrono::steady_clock::now();
    ns.push_back(std::chrono::duration<double, std::nano>(stop - start).count() / double(calls));
  }
  std::sort(ns.begin(), ns.end());
  return {ns[ns.size() / 2], ns.front(), ns.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::atol(argv[1]) : 200000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 15;
  if (calls < 1 || reps < 1) {
    std::fprintf(stderr, "usage: %s [calls per repetition >= 1] [repetitions >= 1]\n", argv[0]);
    return 2;
  }

  densenn::Sequential<float> net;
  net.add(densenn::Dense<float>(16, 64, 1));
  net.add(densenn::ReLU<float>());
  net.add(densenn::Dense<float>(64, 64, 2));
  net.add(densenn::ReLU<float>());
  net.add(densenn::Dense<float>(64, 1, 3));
  densenn::Matrix<float> x(1, 16), target(1, 1), grad(1, 1);
  for (densenn::index_t i = 0; i < 16; ++i) x(0, i) = float(i % 5) * 0.25f - 0.5f;
  target(0, 0) = 0.5f;
  densenn::MSELoss<float> loss;

  float sink = 0;  // every result is used, so no call can be optimised away
  const Stats predict = time_per_call([&] { sink += net.predict(x)(0, 0); }, calls, reps);
  const densenn::FrozenNet<float> frozen(net);
  densenn::Matrix<float> y(1, 1);
  const Stats frozen_predict = time_per_call(
      [&] {
        frozen.predict(x, y.view());
        sink += y(0, 0);
      },
      calls, reps);
  const Stats train = time_per_call(
      [&] {
        sink += loss.forward(net.forward(x), target);
        loss.backward(grad.view());
        net.backward(grad, /*need_input_grad=*/false);
        net.step(1e-6f);
      },
      calls, reps);

  std::printf("densenn %s, simd %s, %d threads allowed; %d repetitions of %ld calls (checksum %g)\n", DENSENN_VERSION,
              densenn::simd_level(), densenn::get_num_threads(), reps, calls, double(sink));
  std::printf("tiny 16-64-64-1 batch-1 predict:    median %7.1f ns per call (min %.1f, max %.1f)\n", predict.median,
              predict.min, predict.max);
  std::printf("tiny 16-64-64-1 batch-1 FrozenNet:  median %7.1f ns per call (min %.1f, max %.1f)\n",
              frozen_predict.median, frozen_predict.min, frozen_predict.max);
  std::printf("tiny 16-64-64-1 batch-1 train step: median %7.1f ns per call (min %.1f, max %.1f)\n", train.median,
              train.min, train.max);
  return 0;
}
