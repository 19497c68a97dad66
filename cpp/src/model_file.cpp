// Saving and loading Sequential models as self-checking .safetensors files (see model_file.hpp).
#include "densenn/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include "densenn/errors.hpp"
#include "densenn/version.hpp"
#include "json.hpp"
#include "sha256.hpp"

namespace densenn {

namespace {

constexpr index_t max_check_rows = 64;  // bounds the work a hostile file can ask of the self-check

template <typename T>
const char* file_dtype() {
  return sizeof(T) == 4 ? "F32" : "F64";
}

// d as T. Written out because converting a double beyond float's range to float is undefined
// behaviour in C++; IEEE rounding sends it to infinity, and so does this.
template <typename T>
T narrow(double d) {
  if (sizeof(T) == 4 && std::fabs(d) >= 0x1.ffffffp127) return static_cast<T>(std::copysign(INFINITY, d));
  return static_cast<T>(d);
}

// The metadata entry `key` parsed as JSON; errors name the key.
json::Value parse_metadata(const SafeTensors& file, const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) throw FormatError(key + " is missing from the metadata");
  try {
    return json::parse(it->second);
  } catch (const FormatError& e) {
    throw FormatError(key + ": " + e.what());
  }
}

// Little-endian bytes of n values, whatever the host's byte order.
template <typename T>
std::vector<std::uint8_t> to_bytes(const T* values, std::size_t n) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  std::vector<std::uint8_t> out(n * sizeof(T));
  for (std::size_t k = 0; k < n; ++k) {
    Bits bits;
    std::memcpy(&bits, &values[k], sizeof bits);
    for (std::size_t b = 0; b < sizeof(T); ++b) out[k * sizeof(T) + b] = std::uint8_t(bits >> (8 * b));
  }
  return out;
}

// n little-endian F32 (f64 = false) or F64 values at p, converted to T.
template <typename T>
void from_bytes(T* out, const std::uint8_t* p, std::size_t n, bool f64) {
  const std::size_t width = f64 ? 8 : 4;
  for (std::size_t k = 0; k < n; ++k, p += width) {
    std::uint64_t bits = 0;
    for (std::size_t b = width; b-- > 0;) bits = bits << 8 | p[b];
    if (f64) {
      double d;
      std::memcpy(&d, &bits, 8);
      out[k] = narrow<T>(d);
    } else {
      const auto u = static_cast<std::uint32_t>(bits);
      float f;
      std::memcpy(&f, &u, 4);
      out[k] = static_cast<T>(f);
    }
  }
}

// The fixed reference input: multiples of 1/1024 in [-1, 1], exact in float and double alike.
template <typename T>
Matrix<T> check_input(index_t cols) {
  Matrix<T> x(2, cols);
  std::uint64_t state = 0x5EED5EED;
  for (index_t k = 0; k < x.size(); ++k) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;  // 64-bit LCG
    x.data()[k] = static_cast<T>((double((state >> 33) % 2049) - 1024.0) / 1024.0);
  }
  return x;
}

template <typename T>
std::string rows_json(MatrixView<const T> m) {
  std::string s = "[";
  for (index_t r = 0; r < m.rows(); ++r) {
    s += r ? ",[" : "[";
    for (index_t c = 0; c < m.cols(); ++c) s += (c ? "," : "") + json::number(double(m(r, c)));
    s += "]";
  }
  return s + "]";
}

template <typename T>
Matrix<T> rows_from_json(const SafeTensors& file, const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) throw FormatError(key + " is missing from the metadata");
  json::Rows rows;
  try {
    rows = json::parse_rows(it->second, max_check_rows);
  } catch (const FormatError& e) {
    throw FormatError(key + " must be a list of 1 to " + std::to_string(max_check_rows) +
                      " rows of numbers: " + e.what());
  }
  Matrix<T> m(index_t(rows.rows), index_t(rows.cols));
  for (std::size_t k = 0; k < rows.values.size(); ++k) m.data()[k] = narrow<T>(rows.values[k]);
  return m;
}

template <typename T>
std::string describe_layer(Layer<T>& layer, index_t i) {
  if (auto* d = dynamic_cast<Dense<T>*>(&layer))
    return "{\"kind\":\"dense\",\"in_features\":" + std::to_string(d->in_features()) +
           ",\"out_features\":" + std::to_string(d->out_features()) +
           ",\"bias\":" + (d->has_bias() ? "true" : "false") + "}";
  if (auto* l = dynamic_cast<LeakyReLU<T>*>(&layer))
    return "{\"kind\":\"leaky_relu\",\"negative_slope\":" + json::number(l->negative_slope()) + "}";
  if (dynamic_cast<ReLU<T>*>(&layer) || dynamic_cast<Sigmoid<T>*>(&layer) || dynamic_cast<Tanh<T>*>(&layer) ||
      dynamic_cast<Softmax<T>*>(&layer))
    return "{\"kind\":\"" + layer.kind() + "\"}";
  throw std::invalid_argument(
      "save: layer " + std::to_string(i) + " (kind \"" + layer.kind() +
      "\") cannot be saved: model files hold Dense, ReLU, LeakyReLU, Sigmoid, Tanh and Softmax");
}

// One entry of densenn.architecture, checked: known kind, exactly its settings, sane values.
struct LayerSpec {
  std::string kind;
  index_t in = 0, out = 0;
  bool bias = false;
  double negative_slope = 0;
};

LayerSpec parse_layer(const json::Value& v, std::size_t i) {
  const std::string where = "densenn.architecture: layer " + std::to_string(i) + ": ";
  const json::Value* kind = v.find("kind");
  if (!kind || kind->type != json::Value::Type::string) throw FormatError(where + "needs a \"kind\" string");
  LayerSpec spec{kind->text};
  std::vector<std::string> keys = {"kind"};
  if (spec.kind == "dense") {
    keys = {"kind", "in_features", "out_features", "bias"};
    const json::Value *in = v.find("in_features"), *out = v.find("out_features"), *bias = v.find("bias");
    // A size, or 0 if absent or not an integer. The limit is far beyond any file and keeps
    // products of two sizes within 64 bits.
    const auto size = [](const json::Value* n) {
      const std::uint64_t value = n ? json::as_uint64(*n).value_or(0) : 0;
      return value <= (std::uint64_t(1) << 30) ? index_t(value) : index_t(0);
    };
    spec.in = size(in), spec.out = size(out);
    if (spec.in == 0 || spec.out == 0)
      throw FormatError(where + "in_features and out_features must be positive integers");
    if (!bias || bias->type != json::Value::Type::boolean) throw FormatError(where + "\"bias\" must be true or false");
    spec.bias = bias->boolean;
  } else if (spec.kind == "leaky_relu") {
    keys = {"kind", "negative_slope"};
    const json::Value* slope = v.find("negative_slope");
    if (!slope || slope->type != json::Value::Type::number)
      throw FormatError(where + "\"negative_slope\" must be a number");
    spec.negative_slope = slope->number;
  } else if (spec.kind != "relu" && spec.kind != "sigmoid" && spec.kind != "tanh" && spec.kind != "softmax") {
    throw FormatError(where + "unknown kind \"" + spec.kind + "\"");
  }
  for (const auto& [key, value] : v.members)
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw FormatError(where + "unexpected setting \"" + key + "\" for kind \"" + spec.kind + "\"");
  return spec;
}

// The tensor the architecture needs, with the file's dtype and the shape it implies.
const TensorInfo& need_tensor(const std::map<std::string, const TensorInfo*>& by_name, const std::string& name,
                              const std::string& dtype, const std::vector<std::uint64_t>& shape) {
  const auto it = by_name.find(name);
  if (it == by_name.end()) throw FormatError("tensor \"" + name + "\" is missing: the architecture needs it");
  const TensorInfo& t = *it->second;
  if (t.dtype != dtype)
    throw FormatError("tensor \"" + name + "\" has dtype " + t.dtype + ", but the model's dtype is " + dtype +
                      " (densenn models hold F32 or F64)");
  if (t.shape != shape) throw FormatError("tensor \"" + name + "\" has a shape that disagrees with the architecture");
  return t;
}

bool close_enough(double got, double want, double tol) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  return got == want || std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want));
}

template <typename T>
void self_check(Sequential<T>& net, const SafeTensors& file, bool file_f64) {
  const Matrix<T> x = rows_from_json<T>(file, "densenn.check_input");
  const Matrix<T> want = rows_from_json<T>(file, "densenn.check_output");
  MatrixView<const T> got;
  try {
    got = net.predict(x);
  } catch (const ShapeError& e) {
    throw FormatError(std::string("densenn.check_input does not fit the model: ") + e.what());
  }
  if (got.rows() != want.rows() || got.cols() != want.cols())
    throw FormatError("self-check failed: the model's output has shape " + shape_string(got.rows(), got.cols()) +
                      ", densenn.check_output has " + shape_string(want.rows(), want.cols()));
  const double tol = (sizeof(T) == 4 || !file_f64) ? 1e-4 : 1e-10;
  for (index_t r = 0; r < got.rows(); ++r)
    for (index_t c = 0; c < got.cols(); ++c)
      if (!close_enough(double(got(r, c)), double(want(r, c)), tol))
        throw FormatError("self-check failed: output [" + std::to_string(r) + ", " + std::to_string(c) + "] is " +
                          json::number(double(got(r, c))) + " but the file says " + json::number(double(want(r, c))) +
                          ": the weights do not give the outputs stored when the file was written");
}

}  // namespace

template <typename T>
SafeTensors to_safetensors(const Sequential<T>& net) {
  SafeTensors file;
  Sequential<T> runner;  // the same layers: predict then leaves net's own buffers alone
  std::string architecture = "[";
  for (index_t i = 0; i < net.size(); ++i) {
    const std::shared_ptr<Layer<T>>& layer = net.layer_ptr(i);
    architecture += (i ? "," : "") + describe_layer(*layer, i);
    if (auto* d = dynamic_cast<Dense<T>*>(layer.get())) {
      const auto out = std::uint64_t(d->out_features()), in = std::uint64_t(d->in_features());
      const std::vector<std::uint8_t> w = to_bytes(d->weight().data(), std::size_t(out * in));
      file.add_tensor(std::to_string(i) + ".weight", file_dtype<T>(), {out, in}, w.data(), w.size());
      if (d->has_bias()) {
        const std::vector<std::uint8_t> b = to_bytes(d->bias(), std::size_t(out));
        file.add_tensor(std::to_string(i) + ".bias", file_dtype<T>(), {out}, b.data(), b.size());
      }
    }
    runner.add(layer);
  }
  const Matrix<T> x = check_input<T>(net.in_features().value_or(3));
  detail::Sha256 digest;
  digest.update(file.data.data(), file.data.size());
  file.metadata = {{"format", "pt"},
                   {"densenn.version", DENSENN_VERSION},
                   {"densenn.dtype", sizeof(T) == 4 ? "float32" : "float64"},
                   {"densenn.architecture", architecture + "]"},
                   {"densenn.digest", digest.hex()},
                   {"densenn.check_input", rows_json<T>(x)},
                   {"densenn.check_output", rows_json<T>(runner.predict(x))}};
  return file;
}

template <typename T>
void save(const Sequential<T>& net, const std::string& path) {
  write_safetensors(path, to_safetensors(net));
}

template <typename T>
void Sequential<T>::save(const std::string& path) const {
  densenn::save(*this, path);
}

template <typename T>
Sequential<T> from_safetensors(const SafeTensors& file, bool verify, std::vector<std::string>* warnings) {
  const auto arch = file.metadata.find("densenn.architecture"), dtype = file.metadata.find("densenn.dtype");
  if (arch == file.metadata.end() || dtype == file.metadata.end())
    throw FormatError("not a densenn model file: its metadata has no densenn.architecture and densenn.dtype");
  if (dtype->second != "float32" && dtype->second != "float64")
    throw FormatError("densenn.dtype must be \"float32\" or \"float64\", not \"" + dtype->second + "\"");
  const bool file_f64 = dtype->second == "float64";
  const std::string tensor_dtype = file_f64 ? "F64" : "F32";
  const json::Value layers = parse_metadata(file, "densenn.architecture");
  if (layers.type != json::Value::Type::array) throw FormatError("densenn.architecture must be a list of layers");

  std::map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : file.tensors) by_name[t.name] = &t;
  std::vector<const TensorInfo*> used;  // in state-dict order, as the digest covers them
  Sequential<T> net;
  for (std::size_t i = 0; i < layers.items.size(); ++i) {
    const LayerSpec spec = parse_layer(layers.items[i], i);
    std::shared_ptr<Layer<T>> layer;
    if (spec.kind == "dense") {
      const auto out = std::uint64_t(spec.out), in = std::uint64_t(spec.in);
      const TensorInfo& w = need_tensor(by_name, std::to_string(i) + ".weight", tensor_dtype, {out, in});
      used.push_back(&w);
      // Allocated only now that the file is known to hold out * in values for it.
      auto dense = std::make_shared<Dense<T>>(spec.in, spec.out, 0, Init::zeros, spec.bias);
      from_bytes(dense->weight().data(), file.bytes(w), std::size_t(out * in), file_f64);
      if (spec.bias) {
        const TensorInfo& b = need_tensor(by_name, std::to_string(i) + ".bias", tensor_dtype, {out});
        used.push_back(&b);
        from_bytes(dense->bias(), file.bytes(b), std::size_t(out), file_f64);
      }
      layer = dense;
    } else if (spec.kind == "leaky_relu") {
      layer = std::make_shared<LeakyReLU<T>>(narrow<T>(spec.negative_slope));
    } else if (spec.kind == "relu") {
      layer = std::make_shared<ReLU<T>>();
    } else if (spec.kind == "sigmoid") {
      layer = std::make_shared<Sigmoid<T>>();
    } else if (spec.kind == "tanh") {
      layer = std::make_shared<Tanh<T>>();
    } else {
      layer = std::make_shared<Softmax<T>>();
    }
    try {
      net.add(layer);
    } catch (const ShapeError& e) {
      throw FormatError(std::string("densenn.architecture: ") + e.what());
    }
  }
  if (used.size() != file.tensors.size())
    for (const TensorInfo& t : file.tensors)
      if (std::find(used.begin(), used.end(), &t) == used.end())
        throw FormatError("tensor \"" + t.name + "\" is not part of the architecture");

  if (!verify) return net;
  detail::Sha256 digest;
  for (const TensorInfo* t : used) digest.update(file.bytes(*t), t->end - t->begin);
  const auto stored = file.metadata.find("densenn.digest");
  if (stored != file.metadata.end() && stored->second == digest.hex()) {
    self_check(net, file, file_f64);
  } else if (warnings) {
    warnings->push_back(stored == file.metadata.end()
                            ? "the file stores no digest; the self-check was skipped"
                            : "tensors changed since the file was written; the stored self-check was skipped");
  }
  return net;
}

template <typename T>
Sequential<T> load(const std::string& path, bool verify, std::vector<std::string>* warnings) {
  return from_safetensors<T>(read_safetensors(path), verify, warnings);
}

#define DENSENN_INSTANTIATE(T)                                                                  \
  template SafeTensors to_safetensors(const Sequential<T>&);                                    \
  template void save(const Sequential<T>&, const std::string&);                                 \
  template void Sequential<T>::save(const std::string&) const;                                  \
  template Sequential<T> from_safetensors(const SafeTensors&, bool, std::vector<std::string>*); \
  template Sequential<T> load(const std::string&, bool, std::vector<std::string>*);
DENSENN_INSTANTIATE(float)
DENSENN_INSTANTIATE(double)
#undef DENSENN_INSTANTIATE

}  // namespace densenn
