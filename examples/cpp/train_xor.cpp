// Trains a small classifier on XOR in C++ and saves it as a model file that Python loads too.
//
//   train_xor xor.safetensors
//   python -c "import densenn as dn; print(dn.load('xor.safetensors').predict([[0, 1]]))"
#include <cstdio>
#include <exception>
#include <vector>

#include <densenn/densenn.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors\n", argv[0]);
    return 2;
  }
  // The four XOR cases, one per row, and their classes.
  densenn::Matrix<float> x(4, 2);
  const float cases[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 2; ++c) x(r, c) = cases[r][c];
  const std::vector<int> labels = {0, 1, 1, 0};

  densenn::Sequential<float> net;
  net.add(densenn::Dense<float>(2, 8, /*seed=*/0));
  net.add(densenn::Tanh<float>());
  net.add(densenn::Dense<float>(8, 2, /*seed=*/1));
  densenn::SoftmaxCrossEntropyLoss<float> loss;

  float value = 0;
  for (int step = 0; step < 1000; ++step) {
    value = loss.forward(net.forward(x), labels);  // forward: a view into net's buffers
    net.backward(loss.backward());                 // fills every layer's gradients
    net.step(0.5f);                                // in-place SGD
    if (step % 200 == 0) std::printf("step %4d  loss %.4f\n", step, value);
  }
  const densenn::MatrixView<const float> logits = net.predict(x);
  int correct = 0;
  for (int r = 0; r < 4; ++r) correct += (logits(r, 1) > logits(r, 0)) == (labels[r] == 1);
  std::printf("final loss %.4f, %d/4 correct\n", value, correct);

  try {
    net.save(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot save %s: %s\n", argv[1], e.what());
    return 1;
  }
  std::printf("saved %s\n", argv[1]);
  return correct == 4 ? 0 : 1;
}
