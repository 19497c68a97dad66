// Locked: how the bindings call into a densenn object: the GIL released, the object's mutex held.
#pragma once

#include <pybind11/pybind11.h>

#include <mutex>

#include "densenn/lockable.hpp"

namespace densenn::bindings {

// For the lifetime of a Locked, other Python threads run (the GIL is released) and no other
// thread calls into the same objects (their mutexes are held). The GIL is released before the
// mutexes are taken, so a thread waiting for a mutex never holds the GIL that the thread inside
// needs in order to return.
class Locked {
 public:
  explicit Locked(const Lockable& a) : first_(a.mutex()) {}
  Locked(const Lockable& a, const Lockable& b) : first_(a.mutex(), std::defer_lock), second_(b.mutex(), std::defer_lock) {
    std::lock(first_, second_);  // in whichever order avoids a deadlock with another pair
  }

 private:
  pybind11::gil_scoped_release nogil_;  // first member: released first, taken back last
  std::unique_lock<std::mutex> first_, second_;
};

}  // namespace densenn::bindings
