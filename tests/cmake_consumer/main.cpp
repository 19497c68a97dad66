// Trains a tiny net on XOR through densenn's C++ API: proof that the package links and works.
#include <cstdio>
#include <vector>

#include <densenn/densenn.hpp>

int main() {
  densenn::Matrix<float> x(4, 2);
  const float inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 2; ++c) x(r, c) = inputs[r][c];
  const std::vector<int> labels = {0, 1, 1, 0};

  densenn::Sequential<float> net;
  net.add(densenn::Dense<float>(2, 16, /*seed=*/0));
  net.add(densenn::Tanh<float>());
  net.add(densenn::Dense<float>(16, 2, /*seed=*/1));
  densenn::SoftmaxCrossEntropyLoss<float> loss;
  float l = 0;
  for (int step = 0; step < 2000; ++step) {
    l = loss.forward(net.forward(x), labels);
    net.backward(loss.backward());
    net.step(0.5f);
  }
  auto out = net.predict(x);
  int correct = 0;
  for (int r = 0; r < 4; ++r) correct += (out(r, 1) > out(r, 0)) == (labels[r] == 1);
  std::printf("densenn %s: XOR loss %.4f, %d/4 correct\n", DENSENN_VERSION, l, correct);
  return correct == 4 ? 0 : 1;
}
