// libFuzzer harness: arbitrary bytes through the safetensors parser, the writer and the model loader.
//
// The contract under test: any input either loads or throws FormatError. Any other exception,
// a crash, a sanitizer report, or a parsed file that does not survive writing and re-reading
// is a bug. Built with -DDENSENN_FUZZ_REPLAY it is a plain program that runs the files named on
// its command line, so that ctest replays the corpus and past crashes without libFuzzer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "densenn/densenn.hpp"

namespace {

template <typename T>
void load_model(const densenn::SafeTensors& file) {
  std::vector<std::string> warnings;
  try {
    densenn::Sequential<T> net = densenn::from_safetensors<T>(file, true, &warnings);
    densenn::from_safetensors<T>(densenn::to_safetensors(net));  // what loads must save and load again
  } catch (const densenn::FormatError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  densenn::SafeTensors file;
  try {
    file = densenn::parse_safetensors(data, size);
  } catch (const densenn::FormatError&) {
    return 0;
  }
  const std::vector<std::uint8_t> bytes = densenn::serialize_safetensors(file);
  const densenn::SafeTensors again = densenn::parse_safetensors(bytes.data(), bytes.size());
  if (again.metadata != file.metadata || again.data != file.data || again.tensors.size() != file.tensors.size())
    std::abort();
  load_model<float>(file);
  load_model<double>(file);
  return 0;
}

#ifdef DENSENN_FUZZ_REPLAY
int main(int argc, char** argv) {
  for (int k = 1; k < argc; ++k) {
    std::ifstream in(argv[k], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[k]);
      return 1;
    }
    const std::vector<std::uint8_t> input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("replayed %d inputs\n", argc - 1);
  return argc > 1 ? 0 : 1;
}
#endif
