// Model files: a Sequential as .safetensors, readable by densenn in C++ and Python and by PyTorch.
//
// Tensors are named as the state dict of the matching torch.nn.Sequential: "<i>.weight"
// (out_features, in_features) and "<i>.bias" (out_features) for the Dense layer at index i, in
// the model's dtype (F32 or F64), in layer order. __metadata__ holds only strings:
//   "format"                "pt"
//   "densenn.version"       the version that wrote the file
//   "densenn.dtype"         "float32" or "float64"
//   "densenn.architecture"  JSON list of the layers, e.g. [{"kind":"dense","in_features":4,
//                           "out_features":8,"bias":true},{"kind":"relu"},
//                           {"kind":"leaky_relu","negative_slope":0.01}]; the other kinds are
//                           "sigmoid", "tanh" and "softmax"
//   "densenn.digest"        SHA-256 (hex) of the tensors' bytes concatenated in layer order
//                           (0.weight, 0.bias, 2.weight, ...): the data section as saved
//   "densenn.check_input"   JSON list of rows: a small fixed input (values k/1024 in [-1, 1])
//   "densenn.check_output"  JSON list of rows: the model's predict() of check_input
// Numbers in these lists are exact (shortest round-trip text of the double value; NaN and
// infinities as the strings "NaN", "Infinity", "-Infinity").
#pragma once

#include <string>
#include <vector>

#include "densenn/safetensors.hpp"
#include "densenn/sequential.hpp"

namespace densenn {

// Writes `net` to `path` (FileError if that fails). Only Dense, ReLU, LeakyReLU, Sigmoid, Tanh and
// Softmax layers can be saved; any other layer throws std::invalid_argument and writes nothing.
template <typename T>
void save(const Sequential<T>& net, const std::string& path);
// The file that save writes, in memory.
template <typename T>
SafeTensors to_safetensors(const Sequential<T>& net);

// Reads a model file into a new Sequential<T>; a file of the other float type is converted.
// FileError if the file cannot be read. FormatError if it is not a valid safetensors file, has no
// densenn metadata, or its architecture disagrees with its tensors (missing, extra or misshapen
// tensors, unknown kinds, bad settings, sizes that do not chain).
// With verify = true and a digest that matches the tensors, the model's output for check_input
// must equal check_output (relative tolerance 1e-4 if float32 is involved, else 1e-10; NaN equals
// NaN), else FormatError "self-check failed". If the digest differs (another tool rewrote the
// tensors), the check is skipped and a warning is appended to *warnings (when given).
template <typename T>
Sequential<T> load(const std::string& path, bool verify = true, std::vector<std::string>* warnings = nullptr);
// The same from a parsed container (e.g. parse_safetensors of bytes in memory).
template <typename T>
Sequential<T> from_safetensors(const SafeTensors& file, bool verify = true,
                               std::vector<std::string>* warnings = nullptr);

}  // namespace densenn
