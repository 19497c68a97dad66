// Sequential<T>: layers applied in order; backward runs the same loop in reverse.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "densenn/layers.hpp"
#include "densenn/lockable.hpp"

namespace densenn {

// A stack of layers with its own reusable buffers: after the first call with a given batch size,
// forward, backward, step and predict allocate nothing. Copies of a Sequential share their layers.
//
// The views that forward, predict and backward return point into the network's buffers: they
// stay valid until the next call of the same method, from any thread (copy them to keep them:
// Matrix<T> kept = net.predict(x)). Calls on one network from several threads run one after
// another; threads that predict with one shared network should use predict(x, y), which writes
// into their own y, or a FrozenNet (see frozen.hpp), or a copy each.
template <typename T>
class Sequential : public Lockable {
 public:
  // Appends a layer: a temporary or std::move(layer) is moved in, a named layer is copied (the
  // network then holds its own; to keep using the very object, pass a std::shared_ptr). Dense
  // sizes must chain, across activations too: a Dense whose in_features differs from the width
  // reaching it throws ShapeError and nothing is added.
  template <typename L, typename = std::enable_if_t<std::is_base_of_v<Layer<T>, std::decay_t<L>>>>
  Sequential& add(L&& layer) {
    return add(std::make_shared<std::decay_t<L>>(std::forward<L>(layer)));
  }
  // Appends a shared layer: the same layer object may also be used by other networks, but not
  // twice in this one (a layer keeps one cached input and one set of gradients), which throws
  // std::invalid_argument and adds nothing.
  Sequential& add(std::shared_ptr<Layer<T>> layer);

  index_t size() const { return static_cast<index_t>(layers_.size()); }
  // The i-th layer; throws std::out_of_range for a bad index.
  Layer<T>& operator[](index_t i) const;
  const std::shared_ptr<Layer<T>>& layer_ptr(index_t i) const;
  // The input width the first Dense fixes, if one comes before any width is unknown.
  std::optional<index_t> in_features() const { return in_features_; }

  // Training forward of x (batch, in): the output (batch, out), kept for backward.
  MatrixView<const T> forward(MatrixView<const T> x);
  // Forward without training state: gradients and a later backward are unaffected.
  MatrixView<const T> predict(MatrixView<const T> x);
  // The same, written into y (x.rows(), output width) before the call returns, so that several
  // threads may share the network; throws ShapeError for another shape of y, writing nothing.
  void predict(MatrixView<const T> x, MatrixView<T> y);
  // Backpropagates dy = dE/doutput (the last forward's output shape) through every layer,
  // overwriting their gradients, and returns dE/dx. With need_input_grad = false the first
  // layer's dE/dx is not computed (it is a quarter of the work of a typical MLP) and the
  // returned view is empty. Throws StateError, changing nothing, when a layer has run a training
  // forward since this network's (shared with another network, or called directly).
  MatrixView<const T> backward(MatrixView<const T> dy, bool need_input_grad = true);
  // Plain SGD on every parameter: p -= lr * grad.
  void step(T lr);
  // Writes the model to a .safetensors file; see densenn::save in model_file.hpp.
  void save(const std::string& path) const;

  // The output width for inputs of `in` columns; throws ShapeError if the layers refuse them.
  index_t output_cols(index_t in) const;
  // The input width whose output is `out` columns wide (the width of backward's dE/dx).
  index_t input_cols(index_t out) const;

  // One whole training step in one call: forward, loss, backward (without the unused dE/dx of
  // the first layer), SGD. `loss` is one of the losses of losses.hpp and `target` what its
  // forward takes (a target matrix, or labels). Returns the loss before the update. The input
  // and the target are checked first: a step that throws changes nothing.
  template <typename Loss, typename Target>
  T train_step(MatrixView<const T> x, const Target& target, Loss& loss, T lr) {
    Loss::check(x.rows(), output_cols(x.cols()), target);
    LayersLocked locked(*this);
    const MatrixView<const T> y = forward_unlocked(x);
    const T value = loss.forward(y, target);
    loss_grad_.resize(y.rows(), y.cols());
    loss.backward(loss_grad_.view());
    backward_unlocked(loss_grad_.view(), /*need_input_grad=*/false);
    step_unlocked(lr);
    return value;
  }

 private:
  // Holds the mutex of every distinct layer for the whole of one public call, so that the call is
  // atomic for anyone else using the same layers (see Lockable). The mutexes are taken in one
  // fixed order (by address): two networks that share layers cannot deadlock.
  class LayersLocked {
   public:
    explicit LayersLocked(const Sequential& net) : LayersLocked(net.layer_mutexes_) {}
    explicit LayersLocked(const std::vector<std::mutex*>& mutexes) : mutexes_(mutexes) {
      for (std::mutex* m : mutexes_) m->lock();
    }
    ~LayersLocked() {
      for (auto m = mutexes_.rbegin(); m != mutexes_.rend(); ++m) (*m)->unlock();
    }
    LayersLocked(const LayersLocked&) = delete;
    LayersLocked& operator=(const LayersLocked&) = delete;

   private:
    const std::vector<std::mutex*>& mutexes_;
  };

  // What the predicts lock: a network of Dense layers (and ReLUs fused into them) predicts without
  // touching its ReLU objects, so their mutexes, a tenth of a small network's latency, are not taken.
  const std::vector<std::mutex*>& predict_mutexes() const { return dense_stack_ ? dense_mutexes_ : layer_mutexes_; }
  MatrixView<const T> run(MatrixView<const T> x, bool training, std::vector<Matrix<T>>& outputs);
  MatrixView<T> training_output(std::size_t i, index_t rows, index_t cols);
  MatrixView<const T> forward_unlocked(MatrixView<const T> x);
  MatrixView<const T> backward_unlocked(MatrixView<const T> dy, bool need_input_grad);
  void step_unlocked(T lr);

  std::vector<std::shared_ptr<Layer<T>>> layers_;
  std::vector<std::mutex*> layer_mutexes_;  // of the distinct layers, sorted by address
  std::vector<std::mutex*> dense_mutexes_;  // of the Dense layers only, sorted alike: all that
                                            // predict touches when dense_stack_ (see predict_mutexes)
  // Looked up once in add(), not on every call: layers_[i] as a Dense (or null), and whether it is
  // a ReLU (predict fuses a Dense and the ReLU after it into one pass).
  std::vector<Dense<T>*> dense_;
  std::vector<Activation<T>*> activation_;
  std::vector<unsigned char> relu_;
  bool widths_fixed_ = true;  // every layer a Dense or an activation: add() checked the widths
  bool dense_stack_ = true;   // every layer a Dense, or a ReLU right after one: predict can run
                              // a small batch through all of them in one kernel call
  std::optional<index_t> width_;        // the width leaving the last layer, when known
  std::optional<index_t> in_features_;  // the width the network expects, when known
  bool width_known_ = true;             // false once a layer of unknown width was added
  std::vector<Matrix<T>> train_outputs_, predict_outputs_;  // each layer's output (see training_output)
  std::vector<MatrixView<const T>> trained_;                // where the last training forward left each
  std::vector<std::uint64_t> stamps_;                       // each layer's forward_stamp() after it
  Matrix<T> grad_[2];                   // backward ping-pongs between these
  Matrix<T> loss_grad_;                 // dE/doutput inside train_step
  bool has_forward_ = false;
};

}  // namespace densenn
