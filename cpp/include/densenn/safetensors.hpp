// The safetensors container: an 8-byte header length, a JSON header, then the raw tensor bytes.
//
// Layout (https://github.com/huggingface/safetensors): N as a little-endian uint64; N bytes of
// JSON, possibly padded with spaces; the data section. The JSON maps each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (byte offsets into the data section) and may
// hold "__metadata__", a map of strings to strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace densenn {

// One tensor: what its bytes mean and where they lie in the data section.
struct TensorInfo {
  std::string name;
  std::string dtype;                 // as safetensors spells it: "F32", "F64", "BF16", "I64", ...
  std::vector<std::uint64_t> shape;  // empty for a scalar
  std::size_t begin = 0, end = 0;    // byte range [begin, end) in the data section
};

// A safetensors file in memory. Once parsed (or built with add_tensor), the tensors tile the data
// section exactly, in the order listed, and every byte range matches its dtype and shape.
struct SafeTensors {
  std::map<std::string, std::string> metadata;  // "__metadata__"
  std::vector<TensorInfo> tensors;              // ordered by position in the data section
  std::vector<std::uint8_t> data;               // the data section

  // The tensor named `name`, or null.
  const TensorInfo* find(const std::string& name) const;
  const std::uint8_t* bytes(const TensorInfo& t) const { return data.data() + t.begin; }
  // Appends a tensor whose bytes (already little-endian) are copied from `bytes`; throws
  // FormatError for an unknown dtype, a size that does not match the shape, or a repeated name.
  void add_tensor(const std::string& name, const std::string& dtype, std::vector<std::uint64_t> shape,
                  const void* bytes, std::size_t size);
};

// Bytes per element of a safetensors dtype ("F32" -> 4), or 0 for an unknown or sub-byte dtype.
std::size_t dtype_size(const std::string& dtype);

// Parses a whole file held in memory. Everything is validated before it is used, as the
// reference implementation does: header length within the file and at most 100 MB, strict
// UTF-8 JSON without duplicate names, known dtypes, overflow-checked sizes that match the
// byte ranges, and ranges that tile the data section with no gap or overlap. Anything else
// throws FormatError; nothing is read out of bounds. Memory stays within a small multiple of
// `size`: the header may hold at most 2^20 JSON values (about 100,000 tensors).
SafeTensors parse_safetensors(const std::uint8_t* bytes, std::size_t size);

// Reads and parses the file at `path`: FileError if it cannot be read (error_code() is ENOENT
// for a missing file), FormatError if its contents are invalid.
SafeTensors read_safetensors(const std::string& path);

// The file's bytes: header padded with spaces to a multiple of 8 bytes, then the data section.
std::vector<std::uint8_t> serialize_safetensors(const SafeTensors& file);
// Writes serialize_safetensors(file) to `path`; FileError if that fails.
void write_safetensors(const std::string& path, const SafeTensors& file);

}  // namespace densenn
