"""densenn: small, fast dense neural networks on a dependency-free C++17 core.

    import densenn as dn
    model = dn.Sequential(dn.Dense(784, 128, seed=0), dn.ReLU(), dn.Dense(128, 10, seed=1))
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    loss = loss_fn.forward(model.forward(x), y)
    model.backward(loss_fn.backward())
    model.step(0.1)

or, Keras style: ``history = model.fit(x, y, loss="cross_entropy", optimizer="adam", epochs=10)``.

Conventions: one sample per row, ``Dense.weight`` is ``(out, in)`` as in ``torch.nn.Linear``;
backward overwrites gradients; the loss owns the mean over the batch.
"""

from . import _core
from .gradcheck import gradcheck
from .layers import Dense, Layer, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .losses import BCEWithLogitsLoss, Loss, MSELoss, SoftmaxCrossEntropyLoss
from .model_file import ModelFileWarning, load
from .optimizers import SGD, Adam, AdamW, Optimizer
from .sequential import Sequential
from .threads import get_num_threads, set_num_threads
from .torch_interop import from_torch
from .training import Callback, EarlyStopping, History

__version__: str = _core.__version__

__all__ = [
    "Adam",
    "AdamW",
    "BCEWithLogitsLoss",
    "Callback",
    "Dense",
    "EarlyStopping",
    "History",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MSELoss",
    "ModelFileWarning",
    "Optimizer",
    "ReLU",
    "SGD",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropyLoss",
    "Tanh",
    "__version__",
    "from_torch",
    "get_num_threads",
    "gradcheck",
    "load",
    "set_num_threads",
]
