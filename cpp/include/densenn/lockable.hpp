// Lockable: the mutex that serializes calls on one object made from several threads.
#pragma once

#include <mutex>

namespace densenn {

// Layers, networks, losses and optimizers keep state between calls (caches, buffers). Sequential
// takes each layer's mutex around the calls it makes, and the Python bindings take the mutex of
// every object they call, so concurrent calls on one object run one after another instead of
// corrupting it. A copy gets a mutex of its own.
class Lockable {
 public:
  std::mutex& mutex() const { return mutex_; }

 protected:
  Lockable() = default;
  Lockable(const Lockable&) {}
  Lockable& operator=(const Lockable&) { return *this; }
  ~Lockable() = default;

 private:
  mutable std::mutex mutex_;
};

}  // namespace densenn
