// The exceptions densenn throws: every bad input meets one of these, with a clear message.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

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

// A model or safetensors file that is truncated, corrupted, or not what it claims to be
// (Python: ValueError).
class FormatError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A file that cannot be opened, read or written (Python: OSError, which picks FileNotFoundError,
// PermissionError, ... from the error code).
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& message, int error_code, std::string path)
      : std::runtime_error(message), error_code_(error_code), path_(std::move(path)) {}
  // The errno value that the operating system gave (ENOENT for a missing file).
  int error_code() const { return error_code_; }
  const std::string& path() const { return path_; }

 private:
  int error_code_;
  std::string path_;
};

}  // namespace densenn
