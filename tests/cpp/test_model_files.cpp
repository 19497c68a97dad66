// Model files: bitwise round trips, SHA-256 and JSON against known answers, hostile files, self-check.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "densenn/densenn.hpp"
#include "json.hpp"
#include "sha256.hpp"

using namespace densenn;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Every layer kind, with sizes that chain; the square 3x3 Dense is what the self-check test transposes.
template <typename T>
Sequential<T> every_kind() {
  Sequential<T> net;
  net.add(Dense<T>(4, 3, 1)).add(ReLU<T>()).add(Dense<T>(3, 3, 2, Init::xavier));
  net.add(LeakyReLU<T>(T(0.3))).add(Sigmoid<T>()).add(Dense<T>(3, 5, 3, Init::he, false)).add(Tanh<T>());
  net.add(Dense<T>(5, 2, 4)).add(Softmax<T>());
  auto& d0 = static_cast<Dense<T>&>(net[0]);
  for (index_t j = 0; j < 3; ++j) d0.bias()[j] = T(0.125) * T(j + 1);  // nonzero biases
  return net;
}

template <typename T>
Matrix<T> input(index_t rows, index_t cols) {
  Matrix<T> x(rows, cols);
  for (index_t k = 0; k < x.size(); ++k) x.data()[k] = T(std::sin(double(k) * 1.7) * 2);
  return x;
}

template <typename T>
std::string temp_path(const char* name) {
  return std::string("densenn_test_") + name + (sizeof(T) == 4 ? "_f32" : "_f64") + ".safetensors";
}

template <typename T, typename U>
bool same_values(const std::vector<T>& a, const std::vector<U>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (U(a[k]) != b[k]) return false;
  return true;
}

Bytes bytes_of(const SafeTensors& file) { return serialize_safetensors(file); }

template <typename T>
Sequential<T> load_bytes(const Bytes& b, bool verify = true, std::vector<std::string>* warnings = nullptr) {
  return from_safetensors<T>(parse_safetensors(b.data(), b.size()), verify, warnings);
}

// A raw file: declared header length (default: the real one), the header, `data` zero bytes.
Bytes raw(const std::string& header, std::size_t data = 0, std::uint64_t declared = ~0ull) {
  if (declared == ~0ull) declared = header.size();
  Bytes b;
  for (int k = 0; k < 8; ++k) b.push_back(std::uint8_t(declared >> (8 * k)));
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data);
  return b;
}

// CHECK_THROWS_WITH for a message that is not a literal (table-driven tests).
template <typename F>
void expect_format_error(F f, const std::string& message) {
  std::string outcome;
  const bool ok = check::throws<FormatError>(f, message.c_str(), outcome);
  check::record(ok, __FILE__, __LINE__, "throws FormatError \"" + message + "\"; got " + outcome);
}

void set_digest(SafeTensors& file) {
  detail::Sha256 h;
  h.update(file.data.data(), file.data.size());
  file.metadata["densenn.digest"] = h.hex();
}

}  // namespace

template <typename T, typename U>
void check_round_trip() {
  check::context =
      std::string(sizeof(T) == 4 ? "float" : "double") + " file loaded as " + (sizeof(U) == 4 ? "float" : "double");
  Sequential<T> net = every_kind<T>();
  const std::string path = temp_path<T>("round_trip");
  net.save(path);
  std::vector<std::string> warnings;
  Sequential<U> back = load<U>(path, true, &warnings);
  std::remove(path.c_str());
  CHECK(warnings.empty());
  CHECK(back.size() == net.size());
  for (index_t i = 0; i < net.size(); ++i) {
    CHECK(back[i].kind() == net[i].kind());
    if (auto* d = dynamic_cast<Dense<T>*>(&net[i])) {
      auto& e = dynamic_cast<Dense<U>&>(back[i]);
      CHECK(e.in_features() == d->in_features() && e.out_features() == d->out_features() &&
            e.has_bias() == d->has_bias());
      CHECK(same_values(d->parameters(), e.parameters()));  // bitwise when T == U, exact widening or rounding otherwise
    }
  }
  // The slope is written in its type's shortest words (0.3 for 0.3f), and read as that number.
  CHECK(dynamic_cast<LeakyReLU<U>&>(back[3]).negative_slope() == U(0.3));
  if constexpr (std::is_same_v<T, U>) {
    const Matrix<T> x = input<T>(6, 4);
    const MatrixView<const T> y0 = net.predict(x), y1 = back.predict(x);
    CHECK(std::memcmp(y0.data(), y1.data(), sizeof(T) * std::size_t(y0.size())) == 0);
  }
}

TEST(round_trip_every_layer_kind) {
  check_round_trip<float, float>();
  check_round_trip<double, double>();
  check_round_trip<float, double>();
  check_round_trip<double, float>();
}

TEST(file_layout_is_torch_state_dict) {
  const SafeTensors file = to_safetensors(every_kind<float>());
  std::vector<std::string> names;
  for (const TensorInfo& t : file.tensors) names.push_back(t.name + ":" + t.dtype + ":" + std::to_string(t.shape[0]));
  CHECK((names == std::vector<std::string>{"0.weight:F32:3", "0.bias:F32:3", "2.weight:F32:3", "2.bias:F32:3",
                                           "5.weight:F32:5", "7.weight:F32:2", "7.bias:F32:2"}));
  CHECK(file.metadata.at("densenn.dtype") == "float32" && file.metadata.at("format") == "pt");
  const Bytes b = bytes_of(file);
  std::uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = n << 8 | b[std::size_t(k)];
  CHECK((8 + n) % 8 == 0 && 8 + n + file.data.size() == b.size());
  // An empty model is a valid file too.
  CHECK(load_bytes<double>(bytes_of(to_safetensors(Sequential<double>()))).size() == 0);
}

TEST(sha256_known_vectors) {
  const auto hex = [](const std::string& s, std::size_t chunk) {
    detail::Sha256 h;
    for (std::size_t k = 0; k < s.size(); k += chunk)
      h.update(reinterpret_cast<const std::uint8_t*>(s.data()) + k, std::min(chunk, s.size() - k));
    return h.hex();
  };
  CHECK(hex("", 1) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex("abc", 1) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (std::size_t chunk : {1, 7, 64, 100})
    CHECK(hex(two_blocks, chunk) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex(std::string(1000000, 'a'), 4099) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(json_accepts_valid_text) {
  const json::Value v =
      json::parse(" {\"a\": [1, -2.5e3, 0, true, false, null], \"b\\u00e9\": \"x\\n\\\"\\/\\ud83d\\ude00\"} ");
  CHECK(v.type == json::Value::Type::object && v.members.size() == 2);
  const json::Value& a = *v.find("a");
  CHECK(a.items.size() == 6 && a.items[1].number == -2500 && a.items[3].boolean &&
        a.items[5].type == json::Value::Type::null);
  CHECK(v.find("b\xc3\xa9")->text == "x\n\"/\xf0\x9f\x98\x80");  // é key; U+1F600 from a surrogate pair
  CHECK(json::as_uint64(json::parse("18446744073709551615")) == 18446744073709551615ull);
  CHECK(!json::as_uint64(json::parse("18446744073709551616")) && !json::as_uint64(json::parse("1.0")) &&
        !json::as_uint64(json::parse("-1")));
  for (double x : {0.1, -1e-300, 3.4028234663852886e38, 5e-324, double(0.3f), 123456789.0}) {
    CHECK(json::parse(json::number(x)).number == x);
  }
  CHECK(std::isnan(*json::number_from(json::parse(json::number(NAN)))));
  CHECK(*json::number_from(json::parse(json::number(-INFINITY))) == -INFINITY);
  const std::string odd = "q\"\\\x01\xc3\xa9";
  CHECK(json::parse(json::quote(odd)).text == odd);
  std::string deep(64, '[');
  CHECK(json::parse(deep + std::string(64, ']')).type == json::Value::Type::array);
}

TEST(json_rejects_invalid_text) {
  const char* bad[] = {"",
                       "{",
                       "[1,]",
                       "{\"a\":1,}",
                       "{\"a\" 1}",
                       "{\"a\":1,\"a\":2}",
                       "01",
                       "1.",
                       ".5",
                       "-",
                       "1e",
                       "+1",
                       "1e400",
                       "-1e-400",
                       "NaN",
                       "tru",
                       "nul",
                       "\"abc",
                       "\"\\x\"",
                       "\"\\u12\"",
                       "\"\\ud800\"",
                       "\"\\udc00\"",
                       "\"\\ud800\\u0041\"",
                       "\"a\tb\"",
                       "\"\xff\"",
                       "\"\xc0\xaf\"",
                       "\"\xed\xa0\x80\"",
                       "\"\xf4\x90\x80\x80\"",
                       "\"\xe2\x82\"",
                       "1 2",
                       "[1] x",
                       "{} {}",
                       "'a'",
                       "[1 2]",
                       "{1:2}"};
  for (const char* text : bad) {
    check::context = std::string("JSON: ") + text;
    CHECK_THROWS_WITH(json::parse(text), FormatError, "invalid JSON at byte");
  }
  check::context = "depth";
  CHECK_THROWS_WITH(json::parse(std::string(65, '[') + std::string(65, ']')), FormatError, "nesting deeper than 64");
  CHECK_THROWS_WITH(json::parse(std::string(100000, '[')), FormatError, "nesting deeper than 64");
  std::string many = "[0";
  for (std::size_t k = 2; k < json::max_values; ++k) many += ",0";
  CHECK(json::parse(many + "]").items.size() == json::max_values - 1);  // the list itself is a value
  CHECK_THROWS_WITH(json::parse(many + ",0]"), FormatError, "more than 1048576 values");
  const json::Rows rows = json::parse_rows(" [[1, -2.5], [\"NaN\", 3]] ", 2);
  CHECK(rows.rows == 2 && rows.cols == 2 && rows.values[1] == -2.5 && std::isnan(rows.values[2]));
  CHECK(json::parse_rows("[" + many + ",0,0]]", 1).values.size() == json::max_values + 1);  // no tree: no cap
  CHECK_THROWS_WITH(json::parse_rows("[[1],[2]]", 1), FormatError, "more than 1 rows");
}

TEST(hostile_files_throw_format_error) {
  const Bytes good = bytes_of(to_safetensors(every_kind<float>()));
  CHECK(load_bytes<float>(good).size() == 9);
  // Every truncation of a valid file, and every single-byte change of its length field.
  for (std::size_t n = 0; n < good.size(); ++n) {
    check::context = "truncated to " + std::to_string(n) + " bytes";
    CHECK_THROWS(load_bytes<float>(Bytes(good.begin(), good.begin() + std::ptrdiff_t(n))), FormatError);
  }
  for (int k = 0; k < 8; ++k) {
    Bytes b = good;
    b[std::size_t(k)] ^= 0x40;
    check::context = "length byte " + std::to_string(k);
    CHECK_THROWS(load_bytes<float>(b), FormatError);
  }
  const std::string t = "\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
  struct Case {
    const char* name;
    Bytes bytes;
    const char* message;
  };
  const Case cases[] = {
      {"header length beyond the file", raw("{}", 0, 3), "runs past the end"},
      {"header length 2^64-1", raw("{}", 0, ~0ull - 1), "exceeds the 100 MB limit"},
      {"header length over 100 MB", raw("{}", 0, 100'000'001), "exceeds the 100 MB limit"},
      {"header not an object", raw("[]"), "starting with '{'"},
      {"malformed JSON", raw("{\"t\":"), "invalid JSON"},
      {"non-UTF-8 JSON", raw("{\"\xff\":{}}"), "invalid UTF-8"},
      {"duplicate names", raw("{" + t + "[0,8]}," + t + "[8,16]}}", 16), "duplicate key"},
      {"shape disagrees with range", raw("{" + t + "[0,12]}}", 12), "needs 8 bytes"},
      {"overlapping ranges",
       raw("{" + t + "[0,8]},\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap"},
      {"gap between ranges", raw("{" + t + "[4,12]}}", 12), "gap"},
      {"range beyond the data", raw("{" + t + "[0,8]}}", 4), "beyond the data section"},
      {"bytes after the tensors", raw("{" + t + "[0,8]}}", 9), "cover 8 bytes"},
      {"begin after end", raw("{" + t + "[8,0]}}", 8), "begin <= end"},
      {"offset beyond 64 bits", raw("{" + t + "[0,18446744073709551616]}}"), "data_offsets must be integers"},
      {"unknown dtype", raw("{\"t\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "unknown dtype"},
      {"huge declared size",
       raw("{\"t\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}"), "too large"},
      {"huge size, small range", raw("{\"t\":{\"dtype\":\"U8\",\"shape\":[1099511627776],\"data_offsets\":[0,8]}}", 8),
       "needs"},
      {"negative shape", raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8),
       "non-negative integers"},
      {"extra tensor key", raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8),
       "unexpected key"},
      {"metadata not strings", raw("{\"__metadata__\":{\"a\":1}}"), "must be a string"},
      {"no densenn metadata", raw("{" + t + "[0,8]}}", 8), "not a densenn model file"},
  };
  for (const Case& c : cases) {
    check::context = c.name;
    expect_format_error([&] { load_bytes<float>(c.bytes); }, c.message);
  }
}

// A valid file changed in one way; each must be refused (FormatError naming the problem).
TEST(architecture_must_match_tensors) {
  using Edit = void (*)(SafeTensors&);
  struct Case {
    const char* name;
    Edit edit;
    const char* message;
  };
  const Case cases[] = {
      {"missing tensor",
       [](SafeTensors& f) {
         f.metadata["densenn.architecture"] =
             R"([{"kind":"relu"},{"kind":"relu"},{"kind":"dense","in_features":4,"out_features":3,"bias":true}])";
       },
       "\"2.weight\" is missing"},
      {"extra tensor",
       [](SafeTensors& f) {
         f.metadata["densenn.architecture"] = R"([{"kind":"dense","in_features":4,"out_features":3,"bias":true}])";
       },
       "is not part of the architecture"},
      {"wrong shape",
       [](SafeTensors& f) {
         f.tensors[0].shape = {4, 3};
       },
       "shape that disagrees"},
      {"unknown kind", [](SafeTensors& f) { f.metadata["densenn.architecture"] = R"([{"kind":"gelu"}])"; },
       "unknown kind"},
      {"bad setting",
       [](SafeTensors& f) { f.metadata["densenn.architecture"] = R"([{"kind":"relu","inplace":true}])"; },
       "unexpected setting"},
      {"zero size",
       [](SafeTensors& f) {
         f.metadata["densenn.architecture"] = R"([{"kind":"dense","in_features":0,"out_features":3,"bias":true}])";
       },
       "positive integers"},
      {"slope not a number",
       [](SafeTensors& f) { f.metadata["densenn.architecture"] = R"([{"kind":"leaky_relu","negative_slope":"0.1"}])"; },
       "must be a number"},
      {"architecture not JSON", [](SafeTensors& f) { f.metadata["densenn.architecture"] = "[{"; },
       "densenn.architecture: invalid JSON"},
      {"architecture not a list", [](SafeTensors& f) { f.metadata["densenn.architecture"] = "{}"; }, "must be a list"},
      {"unknown dtype name", [](SafeTensors& f) { f.metadata["densenn.dtype"] = "float16"; }, "densenn.dtype must be"},
      {"tensors of another dtype", [](SafeTensors& f) { f.metadata["densenn.dtype"] = "float64"; }, "has dtype F32"},
      {"check input missing", [](SafeTensors& f) { f.metadata.erase("densenn.check_input"); },
       "check_input is missing"},
      {"check input too wide", [](SafeTensors& f) { f.metadata["densenn.check_input"] = "[[1,2,3,4,5]]"; },
       "does not fit"},
      {"check rows ragged", [](SafeTensors& f) { f.metadata["densenn.check_output"] = "[[1,2],[3]]"; },
       "rows of different lengths"},
      {"check rows nested", [](SafeTensors& f) { f.metadata["densenn.check_output"] = "[[[1],2]]"; },
       "expected a number"},
      {"check rows empty", [](SafeTensors& f) { f.metadata["densenn.check_input"] = "[]"; }, "expected '['"},
      {"check rows too many",
       [](SafeTensors& f) {
         std::string rows = "[1,2,3,4]";
         for (int r = 1; r < 65; ++r) rows += ",[1,2,3,4]";
         f.metadata["densenn.check_input"] = "[" + rows + "]";
       },
       "more than 64 rows"},
  };
  for (const Case& c : cases) {
    check::context = c.name;
    // Dense(4, 3) then Dense(3, 3): built so that every edit above breaks exactly one thing.
    Sequential<float> net;
    net.add(Dense<float>(4, 3, 1)).add(Dense<float>(3, 3, 2));
    SafeTensors file = to_safetensors(net);
    c.edit(file);
    expect_format_error([&] { load_bytes<float>(bytes_of(file)); }, c.message);
  }
  check::context = "sizes that do not chain";
  Sequential<float> net;
  net.add(Dense<float>(4, 3, 1));
  SafeTensors file = to_safetensors(net);
  const float zeros[15] = {};
  file.add_tensor("1.weight", "F32", {3, 5}, zeros, sizeof zeros);
  file.metadata["densenn.architecture"] = R"([{"kind":"dense","in_features":4,"out_features":3,"bias":true},)"
                                          R"({"kind":"dense","in_features":5,"out_features":3,"bias":false}])";
  expect_format_error([&] { load_bytes<float>(bytes_of(file)); }, "layer 1 expects 5 input features");
}

TEST(self_check_catches_a_transposed_weight) {
  for (bool bias : {true, false}) {
    check::context = bias ? "with bias" : "without bias";
    Sequential<double> net;
    net.add(Dense<double>(3, 3, 5, Init::he, bias)).add(Tanh<double>()).add(Dense<double>(3, 2, 6));
    SafeTensors file = to_safetensors(net);
    // What a loader that forgets the (out, in) layout would produce: 0.weight transposed.
    const TensorInfo& w = *file.find("0.weight");
    double m[9], t[9];
    std::memcpy(m, file.bytes(w), sizeof m);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) t[c * 3 + r] = m[r * 3 + c];
    std::memcpy(file.data.data() + w.begin, t, sizeof t);

    SafeTensors stale = file;  // digest of the original tensors: the check is skipped, with a warning
    std::vector<std::string> warnings;
    Sequential<double> loaded = load_bytes<double>(bytes_of(stale), true, &warnings);
    CHECK(warnings.size() == 1 && warnings[0].find("tensors changed since the file was written") != std::string::npos);
    CHECK(std::memcmp(dynamic_cast<Dense<double>&>(loaded[0]).weight().data(), t, sizeof t) == 0);

    set_digest(file);  // the digest now matches, so the stored check runs and must fail
    CHECK_THROWS_WITH(load_bytes<double>(bytes_of(file)), FormatError, "self-check failed");
    warnings.clear();
    CHECK(load_bytes<double>(bytes_of(file), false, &warnings).size() == 3 && warnings.empty());  // verify = false

    file.metadata.erase("densenn.digest");
    CHECK(load_bytes<double>(bytes_of(file), true, &warnings).size() == 3 && warnings.size() == 1);
  }
}

TEST(file_errors_and_unsaveable_layers) {
  try {
    load<float>("densenn_no_such_file.safetensors");
    CHECK(false);
  } catch (const FileError& e) {
    CHECK(e.error_code() == ENOENT && e.path() == "densenn_no_such_file.safetensors");
  }
  CHECK_THROWS(save(every_kind<float>(), "densenn_no_such_dir/model.safetensors"), FileError);

  struct Identity final : Activation<float> {
    std::string kind() const override { return "identity"; }
    bool caches_input() const override { return true; }
    void apply(MatrixView<float> y, MatrixView<const float> x) const override {
      std::memcpy(y.data(), x.data(), sizeof(float) * std::size_t(x.size()));
    }
    void apply_backward(MatrixView<float>, MatrixView<const float>, MatrixView<const float>) const override {}
  };
  Sequential<float> net;
  net.add(Dense<float>(2, 2, 0)).add(Identity());
  const std::string path = temp_path<float>("unsaveable");
  CHECK_THROWS_WITH(net.save(path), std::invalid_argument, "layer 1 (kind \"identity\") cannot be saved");
  CHECK(std::fopen(path.c_str(), "rb") == nullptr);  // nothing written
}
