// Reading, validating and writing safetensors files; every size is checked before it is used.
#include "densenn/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "densenn/errors.hpp"
#include "json.hpp"

namespace densenn {

namespace {

constexpr std::uint64_t max_header_size = 100'000'000;  // the reference implementation's limit

std::string describe(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + "]";
}

// product(shape) * element_size, or false if it overflows 64 bits.
bool byte_count(const std::vector<std::uint64_t>& shape, std::size_t element_size, std::uint64_t& out) {
  std::uint64_t n = element_size;
  for (std::uint64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / d) return false;
    n *= d;
  }
  out = n;
  return true;
}

TensorInfo tensor_info(const std::string& name, const json::Value& v) {
  const std::string where = "tensor \"" + name + "\": ";
  if (v.type != json::Value::Type::object) throw FormatError(where + "expected an object");
  for (const auto& [key, value] : v.members)
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      throw FormatError(where + "unexpected key \"" + key + "\"");
  const json::Value *dtype = v.find("dtype"), *shape = v.find("shape"), *offsets = v.find("data_offsets");
  if (!dtype || !shape || !offsets) throw FormatError(where + "needs \"dtype\", \"shape\" and \"data_offsets\"");
  TensorInfo t;
  t.name = name;
  if (dtype->type != json::Value::Type::string) throw FormatError(where + "dtype must be a string");
  t.dtype = dtype->text;
  const std::size_t element_size = dtype_size(t.dtype);
  if (element_size == 0) throw FormatError(where + "unknown dtype \"" + t.dtype + "\"");
  if (shape->type != json::Value::Type::array) throw FormatError(where + "shape must be a list of sizes");
  for (const json::Value& d : shape->items) {
    const auto n = json::as_uint64(d);
    if (!n) throw FormatError(where + "shape must be a list of non-negative integers");
    t.shape.push_back(*n);
  }
  if (offsets->type != json::Value::Type::array || offsets->items.size() != 2)
    throw FormatError(where + "data_offsets must be [begin, end]");
  const auto begin = json::as_uint64(offsets->items[0]), end = json::as_uint64(offsets->items[1]);
  if (!begin || !end || *end < *begin) throw FormatError(where + "data_offsets must be integers with begin <= end");
  std::uint64_t bytes = 0;
  if (!byte_count(t.shape, element_size, bytes))
    throw FormatError(where + "shape " + describe(t.shape) + " is too large");
  if (bytes != *end - *begin)
    throw FormatError(where + "shape " + describe(t.shape) + " of " + t.dtype + " needs " + std::to_string(bytes) +
                      " bytes, but data_offsets span " + std::to_string(*end - *begin));
  if (*end > std::numeric_limits<std::size_t>::max()) throw FormatError(where + "data_offsets out of range");
  t.begin = static_cast<std::size_t>(*begin);
  t.end = static_cast<std::size_t>(*end);
  return t;
}

// The header's length, from the first 8 of `size` bytes; throws unless they hold a plausible one.
std::uint64_t header_length(const std::uint8_t* bytes, std::size_t size) {
  if (size < 8)
    throw FormatError("not a safetensors file: " + std::to_string(size) +
                      " bytes, shorter than the 8-byte header length");
  std::uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = n << 8 | bytes[k];
  if (n > max_header_size)
    throw FormatError("safetensors header length " + std::to_string(n) + " exceeds the 100 MB limit");
  return n;
}

[[noreturn]] void header_past_end(std::uint64_t n, std::size_t size) {
  throw FormatError("safetensors header length " + std::to_string(n) + " runs past the end of the file (" +
                    std::to_string(size) + " bytes): the file is truncated or not a safetensors file");
}

// The metadata and the tensors of the header's JSON text, each tensor checked on its own.
SafeTensors parse_header_text(std::string_view text) {
  if (text.empty() || text[0] != '{') throw FormatError("safetensors header must be a JSON object starting with '{'");
  const json::Value header = json::parse(text);
  SafeTensors file;
  for (const auto& [name, value] : header.members) {
    if (name == "__metadata__") {
      if (value.type != json::Value::Type::object) throw FormatError("__metadata__ must map strings to strings");
      for (const auto& [key, item] : value.members) {
        if (item.type != json::Value::Type::string) throw FormatError("__metadata__ \"" + key + "\" must be a string");
        file.metadata[key] = item.text;
      }
    } else {
      file.tensors.push_back(tensor_info(name, value));
    }
  }
  // Sorted by position, for check_layout and for the readers of the tensors' bytes.
  std::sort(file.tensors.begin(), file.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  return file;
}

// Throws unless the (sorted) tensors' byte ranges tile a data section of data_size bytes: each
// starts where the last ended, and the last ends where the section does.
void check_layout(const SafeTensors& file, std::size_t data_size) {
  std::size_t expected = 0;
  for (const TensorInfo& t : file.tensors) {
    if (t.begin != expected)
      throw FormatError("tensor \"" + t.name + "\": data_offsets [" + std::to_string(t.begin) + ", " +
                        std::to_string(t.end) +
                        (t.begin < expected ? "] overlap another tensor" : "] leave a gap after the previous tensor"));
    if (t.end > data_size)
      throw FormatError("tensor \"" + t.name + "\": data_offsets end " + std::to_string(t.end) +
                        " lies beyond the data section (" + std::to_string(data_size) + " bytes)");
    expected = t.end;
  }
  if (expected != data_size)
    throw FormatError("the tensors cover " + std::to_string(expected) + " bytes of a " + std::to_string(data_size) +
                      "-byte data section");
}

// The data section's size the header announces: where its last tensor ends (0 without tensors).
std::size_t announced_data_size(const SafeTensors& file) {
  std::size_t end = 0;
  for (const TensorInfo& t : file.tensors) end = std::max(end, t.end);
  return end;
}

[[noreturn]] void file_error(const std::string& what, const std::string& path) {
  const int code = errno;
  throw FileError(what + " " + path + ": " + std::strerror(code), code, path);
}

// fopen stops at a NUL byte: a path holding one would name another file, so it is refused.
void check_path(const std::string& path) {
  if (path.find('\0') != std::string::npos)
    throw std::invalid_argument("file path contains a null byte: " + path.substr(0, path.find('\0')) + "\\0...");
}

struct CloseFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

const TensorInfo* SafeTensors::find(const std::string& name) const {
  for (const TensorInfo& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

void SafeTensors::add_tensor(const std::string& name, const std::string& dtype, std::vector<std::uint64_t> shape,
                             const void* bytes, std::size_t size) {
  std::uint64_t want = 0;
  if (name == "__metadata__" || find(name)) throw FormatError("tensor name \"" + name + "\" is taken");
  if (dtype_size(dtype) == 0) throw FormatError("unknown dtype \"" + dtype + "\"");
  if (!byte_count(shape, dtype_size(dtype), want) || want != size)
    throw FormatError("tensor \"" + name + "\": " + std::to_string(size) + " bytes do not match shape " +
                      describe(shape));
  const auto* p = static_cast<const std::uint8_t*>(bytes);
  tensors.push_back({name, dtype, std::move(shape), data.size(), data.size() + size});
  data.insert(data.end(), p, p + size);
}

std::size_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, std::size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
      {"F32", 4},  {"I64", 8}, {"U64", 8}, {"F64", 8},     {"C64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

SafeTensors parse_safetensors(const std::uint8_t* bytes, std::size_t size) {
  const std::uint64_t n = header_length(bytes, size);
  if (n > size - 8) header_past_end(n, size);
  const std::size_t data_start = 8 + static_cast<std::size_t>(n);
  SafeTensors file = parse_header_text({reinterpret_cast<const char*>(bytes + 8), static_cast<std::size_t>(n)});
  check_layout(file, size - data_start);
  file.data.assign(bytes + data_start, bytes + size);
  return file;
}

SafeTensors read_safetensors(const std::string& path) {
  check_path(path);
  errno = 0;
  std::unique_ptr<std::FILE, CloseFile> f(std::fopen(path.c_str(), "rb"));
  if (!f) file_error("cannot open", path);
  // Up to `count` more bytes appended to `bytes`, in chunks rather than trusting a size in advance:
  // memory grows only with bytes actually read. Only what the header announces is read (and one
  // byte more, to refuse a longer file), so a device or a huge file of another kind is not read
  // to its end.
  const auto read_more = [&](std::vector<std::uint8_t>& bytes, std::uint64_t count) {
    std::uint8_t chunk[1 << 16];
    while (count > 0) {
      const std::size_t got = std::fread(chunk, 1, std::size_t(std::min<std::uint64_t>(count, sizeof chunk)), f.get());
      if (got == 0) break;
      bytes.insert(bytes.end(), chunk, chunk + got);
      count -= got;
    }
    if (std::ferror(f.get())) file_error("cannot read", path);
  };
  std::vector<std::uint8_t> head;
  read_more(head, 8);
  const std::uint64_t n = header_length(head.data(), head.size());
  read_more(head, n);
  if (head.size() < 8 + n) header_past_end(n, head.size());
  SafeTensors file = parse_header_text({reinterpret_cast<const char*>(head.data() + 8), static_cast<std::size_t>(n)});
  const std::size_t data_size = announced_data_size(file);
  read_more(file.data, std::uint64_t(data_size) + 1);
  if (file.data.size() > data_size)
    throw FormatError("the tensors cover " + std::to_string(data_size) +
                      " bytes of the data section, and the file goes on after them");
  check_layout(file, file.data.size());
  return file;
}

std::vector<std::uint8_t> serialize_safetensors(const SafeTensors& file) {
  std::string header = "{";
  if (!file.metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto& [key, value] : file.metadata)
      header += (header.back() == '{' ? "" : ",") + json::quote(key) + ":" + json::quote(value);
    header += "}";
  }
  std::size_t expected = 0;  // what parse_safetensors will demand: ranges that tile the data
  for (const TensorInfo& t : file.tensors) {
    if (t.begin != expected || t.end < t.begin)
      throw FormatError("tensor \"" + t.name + "\" does not follow the previous one");
    expected = t.end;
    header +=
        (header.size() > 1 ? "," : "") + json::quote(t.name) + ":{\"dtype\":" + json::quote(t.dtype) + ",\"shape\":[";
    for (std::size_t k = 0; k < t.shape.size(); ++k) header += (k ? "," : "") + std::to_string(t.shape[k]);
    header += "],\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
  }
  if (expected != file.data.size()) throw FormatError("the tensors do not cover the data section");
  header += "}";
  json::parse(header);  // never write a file we would refuse to read (e.g. metadata that is not UTF-8)
  header.append((8 - header.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  std::vector<std::uint8_t> out;
  out.reserve(8 + header.size() + file.data.size());
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<std::uint8_t>(std::uint64_t(header.size()) >> (8 * k)));
  for (const char c : header) out.push_back(static_cast<std::uint8_t>(c));
  out.insert(out.end(), file.data.begin(), file.data.end());
  return out;
}

void write_safetensors(const std::string& path, const SafeTensors& file) {
  check_path(path);
  const std::vector<std::uint8_t> bytes = serialize_safetensors(file);
  errno = 0;
  std::unique_ptr<std::FILE, CloseFile> f(std::fopen(path.c_str(), "wb"));
  if (!f) file_error("cannot open", path);
  if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) file_error("cannot write", path);
  if (std::fclose(f.release()) != 0) file_error("cannot write", path);
}

}  // namespace densenn
