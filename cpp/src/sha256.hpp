// SHA-256 (FIPS 180-4), for the digest of a model file's tensor bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace densenn::detail {

// Incremental SHA-256: update() any number of times, then hex() once.
class Sha256 {
 public:
  Sha256();
  void update(const std::uint8_t* data, std::size_t size);
  // The digest as 64 lower-case hex digits; ends the computation.
  std::string hex();

 private:
  void block(const std::uint8_t* p);

  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;  // bytes hashed so far
};

}  // namespace densenn::detail
