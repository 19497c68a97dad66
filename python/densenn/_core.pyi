"""Type stubs of densenn._core (regenerate: pybind11-stubgen densenn._core, then ruff format)."""

from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing

__all__: list[str] = [
    "Adam_float32",
    "Adam_float64",
    "BCEWithLogitsLoss_float32",
    "BCEWithLogitsLoss_float64",
    "Dense_float32",
    "Dense_float64",
    "Layer_float32",
    "Layer_float64",
    "LeakyReLU_float32",
    "LeakyReLU_float64",
    "MSELoss_float32",
    "MSELoss_float64",
    "ReLU_float32",
    "ReLU_float64",
    "SGD_float32",
    "SGD_float64",
    "Sequential_float32",
    "Sequential_float64",
    "Sigmoid_float32",
    "Sigmoid_float64",
    "SoftmaxCrossEntropyLoss_float32",
    "SoftmaxCrossEntropyLoss_float64",
    "Softmax_float32",
    "Softmax_float64",
    "Tanh_float32",
    "Tanh_float64",
    "get_num_threads",
    "load_model",
    "read_safetensors",
    "save_model",
    "set_num_threads",
]

class Layer_float32:
    """
    Base of the C++ layers.
    """

class Dense_float32(Layer_float32):
    """
    Fully connected layer Y = X W^T + b over C++-owned parameters.
    """
    def __init__(
        self,
        in_features: typing.SupportsInt | typing.SupportsIndex,
        out_features: typing.SupportsInt | typing.SupportsIndex,
        seed: typing.SupportsInt | typing.SupportsIndex,
        init: str = "he",
        bias: bool = True,
    ) -> None: ...
    def backward(
        self: Layer_float32, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def backward_parameters(self, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]) -> None:
        """
        Fill grad_weight and grad_bias only, without computing dE/dX.
        """
    def forward(
        self: Layer_float32, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    def step(self, lr: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Plain SGD, in place: W -= lr * dW; b -= lr * db.
        """
    @property
    def bias(self) -> typing.Any:
        """
        (out_features,) writable view of the bias, or None.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def grad_bias(self) -> typing.Any:
        """
        (out_features,) writable view of the bias gradient, or None.
        """
    @property
    def grad_weight(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        (out_features, in_features) writable view of the weight gradient.
        """
    @property
    def has_bias(self) -> bool: ...
    @property
    def in_features(self) -> int: ...
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """
    @property
    def out_features(self) -> int: ...
    @property
    def weight(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        (out_features, in_features) writable view of the weights.
        """

class ReLU_float32(Layer_float32):
    """
    max(x, 0), elementwise.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float32, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float32, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class Sigmoid_float32(Layer_float32):
    """
    1 / (1 + exp(-x)), elementwise.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float32, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float32, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class Tanh_float32(Layer_float32):
    """
    tanh(x), elementwise.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float32, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float32, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class Softmax_float32(Layer_float32):
    """
    Softmax over the last axis.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float32, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float32, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class LeakyReLU_float32(Layer_float32):
    """
    x if x > 0 else negative_slope * x, elementwise.
    """
    def __init__(
        self, negative_slope: typing.SupportsFloat | typing.SupportsIndex = 0.009999999776482582
    ) -> None: ...
    def backward(
        self: Layer_float32, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float32, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """
    @property
    def negative_slope(self) -> float: ...

class Layer_float64:
    """
    Base of the C++ layers.
    """

class Dense_float64(Layer_float64):
    """
    Fully connected layer Y = X W^T + b over C++-owned parameters.
    """
    def __init__(
        self,
        in_features: typing.SupportsInt | typing.SupportsIndex,
        out_features: typing.SupportsInt | typing.SupportsIndex,
        seed: typing.SupportsInt | typing.SupportsIndex,
        init: str = "he",
        bias: bool = True,
    ) -> None: ...
    def backward(
        self: Layer_float64, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def backward_parameters(self, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> None:
        """
        Fill grad_weight and grad_bias only, without computing dE/dX.
        """
    def forward(
        self: Layer_float64, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    def step(self, lr: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Plain SGD, in place: W -= lr * dW; b -= lr * db.
        """
    @property
    def bias(self) -> typing.Any:
        """
        (out_features,) writable view of the bias, or None.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def grad_bias(self) -> typing.Any:
        """
        (out_features,) writable view of the bias gradient, or None.
        """
    @property
    def grad_weight(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        (out_features, in_features) writable view of the weight gradient.
        """
    @property
    def has_bias(self) -> bool: ...
    @property
    def in_features(self) -> int: ...
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """
    @property
    def out_features(self) -> int: ...
    @property
    def weight(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        (out_features, in_features) writable view of the weights.
        """

class ReLU_float64(Layer_float64):
    """
    max(x, 0), elementwise.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float64, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float64, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class Sigmoid_float64(Layer_float64):
    """
    1 / (1 + exp(-x)), elementwise.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float64, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float64, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class Tanh_float64(Layer_float64):
    """
    tanh(x), elementwise.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float64, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float64, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class Softmax_float64(Layer_float64):
    """
    Softmax over the last axis.
    """
    def __init__(self) -> None: ...
    def backward(
        self: Layer_float64, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float64, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """

class LeakyReLU_float64(Layer_float64):
    """
    x if x > 0 else negative_slope * x, elementwise.
    """
    def __init__(self, negative_slope: typing.SupportsFloat | typing.SupportsIndex = 0.01) -> None: ...
    def backward(
        self: Layer_float64, grad_out: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dX for dE/dY of the last training forward's output shape; overwrites parameter gradients.
        """
    def forward(
        self: Layer_float64, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], training: bool = True
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Y for X of shape (batch, in); with training=True keep what backward needs.
        """
    @property
    def forward_stamp(self) -> int:
        """
        Changes at every training forward (0 before the first).
        """
    @property
    def kind(self) -> str:
        """
        The layer kind: 'dense', 'relu', ...
        """
    @property
    def negative_slope(self) -> float: ...

class MSELoss_float32:
    """
    Mean of (pred - target)^2 over all elements.
    """
    def __init__(self) -> None: ...
    def backward(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dpred for the last forward.
        """
    def forward(
        self,
        pred: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
    ) -> float: ...

class SoftmaxCrossEntropyLoss_float32:
    """
    Softmax and cross-entropy, mean over the batch.
    """
    def __init__(self) -> None: ...
    def backward(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dpred for the last forward.
        """
    def forward_labels(
        self,
        logits: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        labels: typing.Annotated[numpy.typing.ArrayLike, numpy.int64],
    ) -> float:
        """
        Loss for integer labels (batch,) in [0, classes).
        """
    def forward_probabilities(
        self,
        logits: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
    ) -> float:
        """
        Loss for class probabilities (batch, classes).
        """

class BCEWithLogitsLoss_float32:
    """
    Sigmoid and binary cross-entropy, mean over all elements.
    """
    def __init__(self) -> None: ...
    def backward(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        dE/dpred for the last forward.
        """
    def forward(
        self,
        logits: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
    ) -> float: ...

class MSELoss_float64:
    """
    Mean of (pred - target)^2 over all elements.
    """
    def __init__(self) -> None: ...
    def backward(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dpred for the last forward.
        """
    def forward(
        self,
        pred: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    ) -> float: ...

class SoftmaxCrossEntropyLoss_float64:
    """
    Softmax and cross-entropy, mean over the batch.
    """
    def __init__(self) -> None: ...
    def backward(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dpred for the last forward.
        """
    def forward_labels(
        self,
        logits: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        labels: typing.Annotated[numpy.typing.ArrayLike, numpy.int64],
    ) -> float:
        """
        Loss for integer labels (batch,) in [0, classes).
        """
    def forward_probabilities(
        self,
        logits: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    ) -> float:
        """
        Loss for class probabilities (batch, classes).
        """

class BCEWithLogitsLoss_float64:
    """
    Sigmoid and binary cross-entropy, mean over all elements.
    """
    def __init__(self) -> None: ...
    def backward(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        dE/dpred for the last forward.
        """
    def forward(
        self,
        logits: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    ) -> float: ...

class Sequential_float32:
    """
    Layers applied in order, run in C++ with reusable buffers.
    """
    def __init__(self, layers: collections.abc.Sequence[Layer_float32]) -> None:
        """
        A network over these layers (shared, not copied).
        """
    def backward(
        self, grad: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Backpropagates dE/doutput through every layer; returns dE/dx.
        """
    def forward(
        self, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Training forward of x (batch, in).
        """
    def predict(
        self, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32]
    ) -> numpy.typing.NDArray[numpy.float32]:
        """
        Forward without training state.
        """
    def step(self, lr: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Plain SGD on every parameter.
        """
    @typing.overload
    def train_step(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        loss: MSELoss_float32,
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float: ...
    @typing.overload
    def train_step(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        loss: BCEWithLogitsLoss_float32,
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float: ...
    @typing.overload
    def train_step(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        loss: SoftmaxCrossEntropyLoss_float32,
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float: ...
    def train_step_labels(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
        loss: SoftmaxCrossEntropyLoss_float32,
        labels: typing.Annotated[numpy.typing.ArrayLike, numpy.int64],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float:
        """
        train_step of softmax cross-entropy with integer labels (batch,).
        """
    @property
    def size(self) -> int: ...

class Sequential_float64:
    """
    Layers applied in order, run in C++ with reusable buffers.
    """
    def __init__(self, layers: collections.abc.Sequence[Layer_float64]) -> None:
        """
        A network over these layers (shared, not copied).
        """
    def backward(
        self, grad: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Backpropagates dE/doutput through every layer; returns dE/dx.
        """
    def forward(
        self, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Training forward of x (batch, in).
        """
    def predict(
        self, x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]
    ) -> numpy.typing.NDArray[numpy.float64]:
        """
        Forward without training state.
        """
    def step(self, lr: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Plain SGD on every parameter.
        """
    @typing.overload
    def train_step(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        loss: MSELoss_float64,
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float: ...
    @typing.overload
    def train_step(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        loss: BCEWithLogitsLoss_float64,
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float: ...
    @typing.overload
    def train_step(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        loss: SoftmaxCrossEntropyLoss_float64,
        target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float: ...
    def train_step_labels(
        self,
        x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
        loss: SoftmaxCrossEntropyLoss_float64,
        labels: typing.Annotated[numpy.typing.ArrayLike, numpy.int64],
        lr: typing.SupportsFloat | typing.SupportsIndex,
    ) -> float:
        """
        train_step of softmax cross-entropy with integer labels (batch,).
        """
    @property
    def size(self) -> int: ...

class SGD_float32:
    """
    torch.optim.SGD's update, in place over registered buffers.
    """
    def __init__(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        momentum: typing.SupportsFloat | typing.SupportsIndex,
        dampening: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        nesterov: bool,
        maximize: bool,
    ) -> None: ...
    def __len__(self) -> int:
        """
        The number of registered parameters.
        """
    def add(self, param: numpy.ndarray, grad: numpy.ndarray) -> None:
        """
        Register a parameter array and its gradient array (same size, C-contiguous, writable); both are updated in place and kept alive by the optimizer.
        """
    def buffer(
        self, i: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex
    ) -> typing.Any:
        """
        A copy of state buffer k of parameter i (flat), or None before it exists.
        """
    def numel(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of values of parameter i.
        """
    def set_buffer(
        self,
        i: typing.SupportsInt | typing.SupportsIndex,
        k: typing.SupportsInt | typing.SupportsIndex,
        values: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
    ) -> None:
        """
        Replace state buffer k of parameter i with `values` (numel(i) values), or clear it (none).
        """
    def set_options(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        momentum: typing.SupportsFloat | typing.SupportsIndex,
        dampening: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        nesterov: bool,
        maximize: bool,
    ) -> None:
        """
        New settings for later steps (checked as torch.optim.SGD checks them); the state is kept.
        """
    def set_steps(
        self, i: typing.SupportsInt | typing.SupportsIndex, steps: typing.SupportsInt | typing.SupportsIndex
    ) -> None: ...
    def step(self) -> None:
        """
        One update of every registered parameter, in place.
        """
    def steps(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of steps parameter i has taken.
        """
    def zero_grad(self) -> None:
        """
        Zero every registered gradient array.
        """
    @property
    def buffer_names(self) -> list[str]:
        """
        The names of the per-parameter state buffers.
        """

class Adam_float32:
    """
    torch.optim.Adam's update, in place over registered buffers.
    """
    def __init__(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        beta1: typing.SupportsFloat | typing.SupportsIndex,
        beta2: typing.SupportsFloat | typing.SupportsIndex,
        eps: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        amsgrad: bool,
        decoupled_weight_decay: bool,
        maximize: bool,
    ) -> None: ...
    def __len__(self) -> int:
        """
        The number of registered parameters.
        """
    def add(self, param: numpy.ndarray, grad: numpy.ndarray) -> None:
        """
        Register a parameter array and its gradient array (same size, C-contiguous, writable); both are updated in place and kept alive by the optimizer.
        """
    def buffer(
        self, i: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex
    ) -> typing.Any:
        """
        A copy of state buffer k of parameter i (flat), or None before it exists.
        """
    def numel(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of values of parameter i.
        """
    def set_buffer(
        self,
        i: typing.SupportsInt | typing.SupportsIndex,
        k: typing.SupportsInt | typing.SupportsIndex,
        values: typing.Annotated[numpy.typing.ArrayLike, numpy.float32],
    ) -> None:
        """
        Replace state buffer k of parameter i with `values` (numel(i) values), or clear it (none).
        """
    def set_options(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        beta1: typing.SupportsFloat | typing.SupportsIndex,
        beta2: typing.SupportsFloat | typing.SupportsIndex,
        eps: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        amsgrad: bool,
        decoupled_weight_decay: bool,
        maximize: bool,
    ) -> None:
        """
        New settings for later steps (checked as torch.optim.Adam checks them); the state is kept.
        """
    def set_steps(
        self, i: typing.SupportsInt | typing.SupportsIndex, steps: typing.SupportsInt | typing.SupportsIndex
    ) -> None: ...
    def step(self) -> None:
        """
        One update of every registered parameter, in place.
        """
    def steps(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of steps parameter i has taken.
        """
    def zero_grad(self) -> None:
        """
        Zero every registered gradient array.
        """
    @property
    def buffer_names(self) -> list[str]:
        """
        The names of the per-parameter state buffers.
        """

class SGD_float64:
    """
    torch.optim.SGD's update, in place over registered buffers.
    """
    def __init__(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        momentum: typing.SupportsFloat | typing.SupportsIndex,
        dampening: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        nesterov: bool,
        maximize: bool,
    ) -> None: ...
    def __len__(self) -> int:
        """
        The number of registered parameters.
        """
    def add(self, param: numpy.ndarray, grad: numpy.ndarray) -> None:
        """
        Register a parameter array and its gradient array (same size, C-contiguous, writable); both are updated in place and kept alive by the optimizer.
        """
    def buffer(
        self, i: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex
    ) -> typing.Any:
        """
        A copy of state buffer k of parameter i (flat), or None before it exists.
        """
    def numel(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of values of parameter i.
        """
    def set_buffer(
        self,
        i: typing.SupportsInt | typing.SupportsIndex,
        k: typing.SupportsInt | typing.SupportsIndex,
        values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    ) -> None:
        """
        Replace state buffer k of parameter i with `values` (numel(i) values), or clear it (none).
        """
    def set_options(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        momentum: typing.SupportsFloat | typing.SupportsIndex,
        dampening: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        nesterov: bool,
        maximize: bool,
    ) -> None:
        """
        New settings for later steps (checked as torch.optim.SGD checks them); the state is kept.
        """
    def set_steps(
        self, i: typing.SupportsInt | typing.SupportsIndex, steps: typing.SupportsInt | typing.SupportsIndex
    ) -> None: ...
    def step(self) -> None:
        """
        One update of every registered parameter, in place.
        """
    def steps(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of steps parameter i has taken.
        """
    def zero_grad(self) -> None:
        """
        Zero every registered gradient array.
        """
    @property
    def buffer_names(self) -> list[str]:
        """
        The names of the per-parameter state buffers.
        """

class Adam_float64:
    """
    torch.optim.Adam's update, in place over registered buffers.
    """
    def __init__(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        beta1: typing.SupportsFloat | typing.SupportsIndex,
        beta2: typing.SupportsFloat | typing.SupportsIndex,
        eps: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        amsgrad: bool,
        decoupled_weight_decay: bool,
        maximize: bool,
    ) -> None: ...
    def __len__(self) -> int:
        """
        The number of registered parameters.
        """
    def add(self, param: numpy.ndarray, grad: numpy.ndarray) -> None:
        """
        Register a parameter array and its gradient array (same size, C-contiguous, writable); both are updated in place and kept alive by the optimizer.
        """
    def buffer(
        self, i: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex
    ) -> typing.Any:
        """
        A copy of state buffer k of parameter i (flat), or None before it exists.
        """
    def numel(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of values of parameter i.
        """
    def set_buffer(
        self,
        i: typing.SupportsInt | typing.SupportsIndex,
        k: typing.SupportsInt | typing.SupportsIndex,
        values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64],
    ) -> None:
        """
        Replace state buffer k of parameter i with `values` (numel(i) values), or clear it (none).
        """
    def set_options(
        self,
        lr: typing.SupportsFloat | typing.SupportsIndex,
        beta1: typing.SupportsFloat | typing.SupportsIndex,
        beta2: typing.SupportsFloat | typing.SupportsIndex,
        eps: typing.SupportsFloat | typing.SupportsIndex,
        weight_decay: typing.SupportsFloat | typing.SupportsIndex,
        amsgrad: bool,
        decoupled_weight_decay: bool,
        maximize: bool,
    ) -> None:
        """
        New settings for later steps (checked as torch.optim.Adam checks them); the state is kept.
        """
    def set_steps(
        self, i: typing.SupportsInt | typing.SupportsIndex, steps: typing.SupportsInt | typing.SupportsIndex
    ) -> None: ...
    def step(self) -> None:
        """
        One update of every registered parameter, in place.
        """
    def steps(self, i: typing.SupportsInt | typing.SupportsIndex) -> int:
        """
        The number of steps parameter i has taken.
        """
    def zero_grad(self) -> None:
        """
        Zero every registered gradient array.
        """
    @property
    def buffer_names(self) -> list[str]:
        """
        The names of the per-parameter state buffers.
        """

def get_num_threads() -> int:
    """
    The number of threads densenn's kernels may use.
    """

def load_model(path: str, verify: bool = True) -> tuple:
    """
    Read a model file: (dtype name, list of _core layers, list of warnings). With verify, the stored self-check runs when the tensors' digest matches; ValueError if it fails.
    """

def read_safetensors(path: str) -> tuple:
    """
    Read any safetensors file of F32/F64 tensors: (metadata dict, dict of name -> new ndarray).
    """

def save_model(layers: list, path: str) -> None:
    """
    Write the _core layers (all of one dtype), as one Sequential, to a .safetensors model file.
    """

def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Set the number of threads densenn's kernels may use (n >= 1).
    """

__version__: str = "0.1.0"
