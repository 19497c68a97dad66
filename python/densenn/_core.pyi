"""Type stubs of densenn._core (regenerate: pybind11-stubgen densenn._core, then ruff format)."""

from __future__ import annotations
import numpy
import numpy.typing
import typing

__all__: list[str] = [
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

def get_num_threads() -> int:
    """
    The number of threads densenn's kernels may use.
    """

def load_model(path: str, verify: bool = True) -> tuple[str, list[Layer_float32] | list[Layer_float64], list[str]]:
    """
    Read a model file: (dtype name, list of _core layers, list of warnings). With verify, the stored self-check runs when the tensors' digest matches; ValueError if it fails.
    """

def read_safetensors(path: str) -> tuple[dict[str, str], dict[str, numpy.typing.NDArray[numpy.floating]]]:
    """
    Read any safetensors file of F32/F64 tensors: (metadata dict, dict of name -> new ndarray).
    """

def save_model(layers: list[Layer_float32] | list[Layer_float64], path: str) -> None:
    """
    Write the _core layers (all of one dtype), as one Sequential, to a .safetensors model file.
    """

def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Set the number of threads densenn's kernels may use (n >= 1).
    """

__version__: str = "0.1.0"
