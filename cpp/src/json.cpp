// The strict JSON reader and writer: a recursive-descent parser bounded in depth, and escaping.
#include "json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <unordered_set>

#include "densenn/errors.hpp"

namespace densenn::json {

namespace {

constexpr int max_depth = 64;

// Not std::isdigit: that one depends on the C locale.
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Value document() {
    Value v = value(0);
    end();
    return v;
  }

  Rows rows(std::size_t max_rows) {
    Rows r;
    expect('[');
    do {
      if (r.rows == max_rows) fail("more than " + std::to_string(max_rows) + " rows");
      expect('[');
      const std::size_t before = r.values.size();
      skip_space();
      if (peek() != ']') {
        do {
          skip_space();
          if (peek() == '[' || peek() == '{') fail("expected a number");
          values_ = 0;  // the cap is for trees; here one value at a time is kept
          const auto x = number_from(value(0));
          if (!x) fail("expected a number");
          r.values.push_back(*x);
        } while (comma());
      }
      expect(']');
      const std::size_t n = r.values.size() - before;
      if (r.rows++ == 0) r.cols = n;
      if (n != r.cols) fail("rows of different lengths");
    } while (comma());
    expect(']');
    end();
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  bool at_end() const { return pos_ >= s_.size(); }
  unsigned char peek() const { return at_end() ? 0 : static_cast<unsigned char>(s_[pos_]); }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != static_cast<unsigned char>(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  void end() {
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
  }
  // Consumes a ',' if one comes next.
  bool comma() {
    skip_space();
    if (peek() != ',') return false;
    ++pos_;
    return true;
  }
  void literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal");
    pos_ += word.size();
  }

  Value value(int depth) {
    skip_space();
    Value v;
    const unsigned char c = peek();
    if ((c == '{' || c == '[') && depth >= max_depth) fail("nesting deeper than " + std::to_string(max_depth));
    if (++values_ > max_values) fail("more than " + std::to_string(max_values) + " values");
    if (at_end()) fail("unexpected end of input");
    if (c == '{') {
      v.type = Value::Type::object;
      object(v, depth);
    } else if (c == '[') {
      v.type = Value::Type::array;
      array(v, depth);
    } else if (c == '"') {
      v.type = Value::Type::string;
      v.text = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = Value::Type::number;
      number(v);
    } else if (c == 't' || c == 'f') {
      v.type = Value::Type::boolean;
      v.boolean = c == 't';
      literal(v.boolean ? "true" : "false");
    } else if (c == 'n') {
      literal("null");
    } else {
      fail("unexpected character");
    }
    return v;
  }

  void object(Value& v, int depth) {
    ++pos_;
    skip_space();
    if (peek() == '}') return void(++pos_);
    std::unordered_set<std::string> keys;  // not Value::find: a header may hold a million names
    for (;;) {
      skip_space();
      if (peek() != '"') fail("expected a string key");
      std::string key = string();
      if (!keys.insert(key).second) fail("duplicate key \"" + key + "\"");
      expect(':');
      v.members.emplace_back(std::move(key), value(depth + 1));
      skip_space();
      if (peek() == '}') return void(++pos_);
      expect(',');
    }
  }

  void array(Value& v, int depth) {
    ++pos_;
    skip_space();
    if (peek() == ']') return void(++pos_);
    for (;;) {
      v.items.push_back(value(depth + 1));
      skip_space();
      if (peek() == ']') return void(++pos_);
      expect(',');
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  void number(Value& v) {
    const std::size_t start = pos_;
    auto digits = [&] {
      if (!is_digit(peek())) fail("expected a digit");
      while (is_digit(peek())) ++pos_;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else {
      digits();
    }
    if (peek() == '.') {
      ++pos_;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      digits();
    }
    v.text.assign(s_.substr(start, pos_ - start));
    const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), v.number);
    // Out of double range either way (1e400, 1e-400) is refused: no writer of these files makes one.
    if (ec != std::errc() || end != v.text.data() + v.text.size()) {
      pos_ = start;
      fail("number out of double range");
    }
  }

  unsigned hex4() {
    unsigned u = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      const unsigned char c = peek();
      u <<= 4;
      if (c >= '0' && c <= '9')
        u |= c - '0';
      else if (c >= 'a' && c <= 'f')
        u |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        u |= c - 'A' + 10;
      else
        fail("invalid \\u escape");
    }
    return u;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // One UTF-8 sequence starting at pos_, copied to out; overlong forms, surrogates and code
  // points above U+10FFFF are refused (RFC 3629).
  void utf8(std::string& out) {
    const unsigned char c = peek();
    int extra;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
      extra = 1;
    else if (c == 0xE0)
      extra = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEF)
      extra = 2, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c == 0xF0)
      extra = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF4)
      extra = 3, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
      fail("invalid UTF-8");
    out += static_cast<char>(c);
    ++pos_;
    for (int k = 0; k < extra; ++k, ++pos_) {
      const unsigned char b = peek();
      if (at_end() || b < (k == 0 ? lo : 0x80) || b > (k == 0 ? hi : 0xBF)) fail("invalid UTF-8");
      out += static_cast<char>(b);
    }
  }

  std::string string() {
    ++pos_;  // the opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const unsigned char c = peek();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c >= 0x80) {
        utf8(out);
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      const unsigned char e = peek();
      ++pos_;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") fail("high surrogate without its low half");
            pos_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate without its low half");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("invalid escape");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
};

}  // namespace

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

Value parse(std::string_view text) { return Parser(text).document(); }

Rows parse_rows(std::string_view text, std::size_t max_rows) { return Parser(text).rows(max_rows); }

std::optional<std::uint64_t> as_uint64(const Value& v) {
  if (v.type != Value::Type::number || v.text.empty() || v.text[0] == '-') return std::nullopt;
  std::uint64_t u = 0;
  const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), u);
  if (ec != std::errc() || end != v.text.data() + v.text.size()) return std::nullopt;
  return u;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + '"';
}

namespace {
template <typename F>
std::string shortest_number(F x) {
  if (std::isnan(x)) return "\"NaN\"";
  if (std::isinf(x)) return x > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);  // shortest exact form of F
  return std::string(buf, end);
}
}  // namespace

std::string number(double x) { return shortest_number(x); }
std::string number(float x) { return shortest_number(x); }

std::optional<double> number_from(const Value& v) {
  if (v.type == Value::Type::number) return v.number;
  if (v.type != Value::Type::string) return std::nullopt;
  if (v.text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (v.text == "Infinity") return std::numeric_limits<double>::infinity();
  if (v.text == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

}  // namespace densenn::json
