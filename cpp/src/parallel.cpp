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
    const int team = static_cast<int>(std::min<index_t>({index_t(threads()), n, by_work}));
    if (team <= 1) return body(0, n);
    // One job at a time; a caller arriving while another job runs does its work alone.
    std::unique_lock<std::mutex> submit(submit_mutex_, std::try_to_lock);
    if (!submit.owns_lock()) return body(0, n);
    start_workers(team - 1);
    // Long jobs come in two chunks per thread, taken by whoever is free: a worker that starts late
    // (its core busy with another process) then costs half a chunk, not the whole job.
    const int chunks = static_cast<int>(std::min<index_t>(n, team * (work >= kLongJob ? 2 : 1)));
    std::unique_lock<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    chunks_ = chunks;
    next_chunk_ = 0;
    finished_ = 0;
    helpers_ = team - 1;
    ++generation_;
    lock.unlock();
    if (team == 2)
      wake_.notify_one();
    else
      wake_.notify_all();
    lock.lock();
    take_chunks(lock);  // the caller works too
    done_.wait(lock, [&] { return finished_ == chunks_; });
    body_ = nullptr;
  }

 private:
  // A job of at least this many multiply-adds is split into two chunks per thread.
  static constexpr double kLongJob = 1 << 25;

  // Runs chunks of the current job until none is left; `lock` holds mutex_ on entry and exit.
  void take_chunks(std::unique_lock<std::mutex>& lock) {
    while (next_chunk_ < chunks_) {
      const int c = next_chunk_++;
      const index_t begin = n_ * c / chunks_, end = n_ * (c + 1) / chunks_;
      const detail::RangeBody* body = body_;
      lock.unlock();
      (*body)(begin, end);
      lock.lock();
      if (++finished_ == chunks_) done_.notify_one();
    }
  }

  // Starts workers up to `count`, each ready (its scratch buffer made) before this returns: what a
  // worker allocates belongs to the call that started it.
  void start_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      const int id = static_cast<int>(workers_.size());
      workers_.emplace_back([this, id] { worker_loop(id); });
      std::unique_lock<std::mutex> lock(mutex_);
      started_.wait(lock, [&] { return ready_ > id; });
    }
  }

  // Sleeps until a job is posted; helps with it if this worker is among the job's helpers.
  void worker_loop(int id) {
    detail::thread_scratch(0);
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    ++ready_;
    started_.notify_all();
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      if (id < helpers_) take_chunks(lock);
    }
  }

  std::atomic<int> threads_{default_threads()};
  std::mutex submit_mutex_;  // held by the caller for the whole of one job
  std::mutex mutex_;         // guards the job state below
  std::condition_variable wake_, done_, started_;
  std::vector<std::thread> workers_;
  const detail::RangeBody* body_ = nullptr;
  index_t n_ = 0;
  int chunks_ = 0, next_chunk_ = 0, finished_ = 0, helpers_ = 0, ready_ = 0;
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

namespace {
void* aligned_room(std::vector<unsigned char>& buffer, std::size_t bytes, std::size_t at_least) {
  if (buffer.size() < bytes + 64 || buffer.empty()) buffer = std::vector<unsigned char>(std::max(bytes, at_least) + 64);
  const auto address = reinterpret_cast<std::uintptr_t>(buffer.data());
  return reinterpret_cast<void*>((address + 63) & ~std::uintptr_t(63));
}
}  // namespace

void* thread_scratch(std::size_t bytes) {
  thread_local std::vector<unsigned char> buffer;
  return aligned_room(buffer, bytes, kScratchBytes);
}

void* thread_shared_scratch(std::size_t bytes) {
  thread_local std::vector<unsigned char> buffer;
  return aligned_room(buffer, bytes, 0);
}
}  // namespace detail

}  // namespace densenn
