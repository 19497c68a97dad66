// Bindings of model files: save_model, load_model and read_safetensors; FileError -> OSError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "densenn/model_file.hpp"

namespace py = pybind11;

namespace densenn::bindings {

namespace {

template <typename T>
bool all_layers_of(const py::list& layers) {
  for (const py::handle layer : layers)
    if (!py::isinstance<Layer<T>>(layer)) return false;
  return true;
}

template <typename T>
void save_layers(const py::list& layers, const std::string& path) {
  Sequential<T> net;
  for (const py::handle layer : layers) net.add(layer.cast<std::shared_ptr<Layer<T>>>());
  py::gil_scoped_release nogil;
  save(net, path);
}

void save_model(const py::list& layers, const std::string& path) {
  if (all_layers_of<float>(layers)) return save_layers<float>(layers, path);
  if (all_layers_of<double>(layers)) return save_layers<double>(layers, path);
  throw py::type_error("save_model: layers must all be _core layers of one dtype (all float32 or all float64)");
}

// The very layer objects of the loaded model, each cast to its most derived bound class.
template <typename T>
py::list load_layers(const SafeTensors& file, bool verify, std::vector<std::string>& warnings) {
  Sequential<T> net;
  {
    py::gil_scoped_release nogil;
    net = from_safetensors<T>(file, verify, &warnings);
  }
  py::list layers;
  for (index_t i = 0; i < net.size(); ++i) layers.append(py::cast(net.layer_ptr(i)));
  return layers;
}

py::tuple load_model(const std::string& path, bool verify) {
  SafeTensors file;
  {
    py::gil_scoped_release nogil;
    file = read_safetensors(path);
  }
  const auto dtype = file.metadata.find("densenn.dtype");
  const bool f64 = dtype != file.metadata.end() && dtype->second == "float64";
  std::vector<std::string> warnings;
  py::list layers = f64 ? load_layers<double>(file, verify, warnings) : load_layers<float>(file, verify, warnings);
  return py::make_tuple(f64 ? "float64" : "float32", layers, warnings);
}

py::tuple read_file(const std::string& path) {
  SafeTensors file;
  {
    py::gil_scoped_release nogil;
    file = read_safetensors(path);
  }
  py::dict tensors;
  for (const TensorInfo& t : file.tensors) {
    if (t.dtype != "F32" && t.dtype != "F64")
      throw FormatError("tensor \"" + t.name + "\" has dtype " + t.dtype + ": read_safetensors reads F32 and F64 only");
    std::vector<py::ssize_t> shape;
    for (const std::uint64_t d : t.shape) {
      if (d > std::uint64_t(PY_SSIZE_T_MAX)) throw FormatError("tensor \"" + t.name + "\" has a dimension too large");
      shape.push_back(py::ssize_t(d));
    }
    // Explicitly little-endian, as the file is; NumPy copies the bytes into a new array.
    tensors[py::str(t.name)] = py::array(py::dtype(t.dtype == "F32" ? "<f4" : "<f8"), shape, file.bytes(t));
  }
  return py::make_tuple(py::cast(file.metadata), tensors);
}

}  // namespace

void bind_model_files(py::module_& m) {
  // Python picks the OSError subclass (FileNotFoundError, PermissionError, ...) from errno.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const FileError& e) {
      errno = e.error_code();
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, e.path().c_str());
    }
  });
  m.def("save_model", &save_model, py::arg("layers"), py::arg("path"),
        "Write the _core layers (all of one dtype), as one Sequential, to a .safetensors model file.");
  m.def("load_model", &load_model, py::arg("path"), py::arg("verify") = true,
        "Read a model file: (dtype name, list of _core layers, list of warnings). With verify, the "
        "stored self-check runs when the tensors' digest matches; ValueError if it fails.");
  m.def("read_safetensors", &read_file, py::arg("path"),
        "Read any safetensors file of F32/F64 tensors: (metadata dict, dict of name -> new ndarray).");
}

}  // namespace densenn::bindings
