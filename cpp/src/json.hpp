// A small strict JSON (RFC 8259) reader and writer, for safetensors headers and model metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace densenn::json {

// One parsed value. Numbers keep their literal text too, so that integers such as byte offsets
// are read exactly (a double holds only 53 bits).
struct Value {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string text;                                    // the string's contents, or the number's literal
  std::vector<Value> items;                            // array elements
  std::vector<std::pair<std::string, Value>> members;  // object members in file order, keys unique

  // The member named key, or null if absent (or if this is not an object).
  const Value* find(std::string_view key) const;
};

// A tree holds about 100 bytes a value, so a parse stops at this many, whatever the input's
// size: a 100 MB header of "[0,0,0,..." must not become gigabytes (a safetensors header with
// 100,000 tensors needs about a million).
constexpr std::size_t max_values = std::size_t(1) << 20;

// Parses exactly one JSON text (surrounding whitespace allowed). Throws FormatError, naming the
// byte offset, for invalid syntax or UTF-8, lone surrogates, duplicate object keys, numbers out of
// double range, nesting deeper than 64, more than max_values values, or anything after the value.
Value parse(std::string_view text);

// A list of 1 to max_rows equal-length lists of numbers (or the strings number() writes for
// non-finite values), read straight into row-major order with no tree: 8 bytes a number.
struct Rows {
  std::vector<double> values;
  std::size_t rows = 0, cols = 0;
};
Rows parse_rows(std::string_view text, std::size_t max_rows);

// The value of a non-negative integer literal ("12", not "12.0", "1e1" or "-0") that fits in
// 64 bits; nullopt for anything else.
std::optional<std::uint64_t> as_uint64(const Value& v);

// `s` as a JSON string literal, with quotes and escapes. `s` must be valid UTF-8.
std::string quote(std::string_view s);

// The shortest text that reads back as exactly `x` (so a float widened to double round-trips
// too). JSON has no NaN or infinity: they are written as the strings "NaN", "Infinity" and
// "-Infinity", which number_from reads back.
std::string number(double x);
// The same for a float: its own shortest form (0.2f is written 0.2, not 0.20000000298023224).
std::string number(float x);
// A number, or one of the three strings that number() writes for non-finite values.
std::optional<double> number_from(const Value& v);

}  // namespace densenn::json
