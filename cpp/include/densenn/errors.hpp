// The exceptions densenn throws: every bad input meets one of these, with a clear message.
#pragma once

#include <stdexcept>
#include <string>

namespace densenn {

// A shape or size that does not fit (Python: ValueError).
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A call made in the wrong order, such as backward before forward (Python: RuntimeError).
class StateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace densenn
