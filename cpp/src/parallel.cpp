// A small persistent thread pool: workers sleep on a condition variable (never spin), so an idle
// densenn costs nothing and a busy machine is not made busier.
#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "densenn/threads.hpp"

namespace densenn {
namespace {

int default_threads() {
  unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw == 0 ? 1u : hw, 1u, 8u));
}

class ThreadPool {
 public:
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void set_threads(int n) { threads_.store(n, std::memory_order_relaxed); }

  void run(index_t n, double work, detail::RangeBody body) {
    const index_t by_work = static_cast<index_t>(std::min(work / detail::kMinWorkPerThread, 1024.0));
    const int chunks = static_cast<int>(std::min<index_t>({index_t(threads()), n, by_work}));
    if (chunks <= 1) return body(0, n);
    // One job at a time; a caller arriving while another job runs does its work alone.
    std::unique_lock<std::mutex> submit(submit_mutex_, std::try_to_lock);
    if (!submit.owns_lock()) return body(0, n);
    start_workers(chunks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body;
      n_ = n;
      chunks_ = chunks;
      next_chunk_ = 1;  // chunk 0 is the caller's
      pending_ = chunks - 1;
      ++generation_;
    }
    if (chunks == 2)
      wake_.notify_one();
    else
      wake_.notify_all();
    run_chunk(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    body_ = nullptr;
  }

 private:
  void run_chunk(int c) {
    const index_t begin = n_ * c / chunks_, end = n_ * (c + 1) / chunks_;
    (*body_)(begin, end);
  }

  void start_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) workers_.emplace_back([this] { worker_loop(); });
  }

  void worker_loop() {
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && next_chunk_ < chunks_); });
      if (stopping_) return;
      const int c = next_chunk_++;
      if (next_chunk_ >= chunks_) seen = generation_;
      lock.unlock();
      run_chunk(c);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::atomic<int> threads_{default_threads()};
  std::mutex submit_mutex_;  // held by the caller for the whole of one job
  std::mutex mutex_;         // guards the job state below
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const detail::RangeBody* body_ = nullptr;
  index_t n_ = 0;
  int chunks_ = 0, next_chunk_ = 0, pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
};

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("number of threads must be at least 1, got " + std::to_string(n));
  pool().set_threads(n);
}

int get_num_threads() { return pool().threads(); }

namespace detail {
void parallel_for_pool(index_t n, double work, RangeBody body) { pool().run(n, work, body); }
}  // namespace detail

}  // namespace densenn
