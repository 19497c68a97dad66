// Loads a model file (saved from Python or C++) and prints its outputs for rows of numbers.
//
//   predict_csv MODEL.safetensors [DATA.csv]      (rows from the file, or from stdin)
// Each input line holds one sample's features separated by commas or spaces; lines that are
// empty or start with '#' are skipped. Each output line holds the model's outputs for a row.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <densenn/densenn.hpp>

namespace {

// The numbers on one line; throws std::invalid_argument on anything else.
std::vector<float> parse_row(std::string line) {
  for (char& c : line)
    if (c == ',') c = ' ';
  std::istringstream in(line);
  std::vector<float> row;
  std::string token;
  while (in >> token) {
    char* end = nullptr;
    const float value = std::strtof(token.c_str(), &end);
    if (end != token.c_str() + token.size()) throw std::invalid_argument("not a number: '" + token + "'");
    row.push_back(value);
  }
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors [DATA.csv]\n", argv[0]);
    return 2;
  }
  try {
    std::vector<std::string> warnings;
    densenn::Sequential<float> net = densenn::load<float>(argv[1], /*verify=*/true, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());

    std::ifstream file;
    if (argc == 3) {
      file.open(argv[2]);
      if (!file) throw std::runtime_error(std::string("cannot open ") + argv[2]);
    }
    std::istream& in = argc == 3 ? file : std::cin;

    std::vector<float> values;  // the rows, one after another: a row-major (rows, cols) batch
    densenn::index_t rows = 0, cols = -1;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
      const std::vector<float> row = parse_row(line);
      if (cols >= 0 && static_cast<densenn::index_t>(row.size()) != cols)
        throw std::invalid_argument("line " + std::to_string(number) + " has " + std::to_string(row.size()) +
                                    " values, the first row had " + std::to_string(cols));
      cols = static_cast<densenn::index_t>(row.size());
      values.insert(values.end(), row.begin(), row.end());
      ++rows;
    }
    if (rows == 0) return 0;
    const densenn::MatrixView<const float> x(values.data(), rows, cols);
    const densenn::MatrixView<const float> y = net.predict(x);  // checks the width against the model
    for (densenn::index_t r = 0; r < y.rows(); ++r) {
      for (densenn::index_t c = 0; c < y.cols(); ++c) std::printf(c ? ",%.9g" : "%.9g", double(y(r, c)));
      std::printf("\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
