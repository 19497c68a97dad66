"""gradcheck: backpropagation against central finite differences, in float64."""

from __future__ import annotations

import copy

import numpy as np

from ._convert import as_float_array
from .losses import Loss
from .training import _loss

# The smallest denominator of the reported error (see gradcheck); the C++ gradcheck uses the same.
GRADIENT_FLOOR = 1e-3


def gradcheck(model, x, target, loss, *, eps: float = 1e-6) -> dict[str, float]:
    """The worst relative error between backprop and finite-difference gradients, per parameter.

    ``loss`` is what ``fit`` takes: a densenn loss (``dn.MSELoss()``), its class, or ``"mse"``,
    ``"cross_entropy"``, ``"bce_with_logits"``; a loss of your own (any object with ``forward`` and
    ``backward``) is used as it is. Works on a float64 copy of ``model`` and a copy of a densenn
    loss (the model, the loss and the gradients are left untouched). Layers of your own take part
    as deep copies (they receive float64 arrays); a subclass of a densenn layer keeps its methods.
    For each parameter ``p`` the error is ``max|numeric - analytic| / max(max|numeric|,
    max|analytic|, 1e-3)``: relative for gradients of 1e-3 and more, absolute below, so that a
    gradient that is rightly zero (its finite differences are rounding noise) reports near 0, not 1.
    Values of 1e-6 or below mean the gradients are right; a wrong one shows orders of magnitude above.
    Returns ``{"0.weight": err, "0.bias": err, ...}``.
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < float("inf"):
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")
    if isinstance(loss, (str, type, Loss)) or not (hasattr(loss, "forward") and hasattr(loss, "backward")):
        loss = copy.deepcopy(_loss(loss))  # as fit takes it; a copy keeps the settings, not the last forward
    net = model._clone(np.float64)
    x = as_float_array(x, np.float64, name="x")
    loss.forward(net.forward(x), target)
    net.backward(loss.backward())
    analytic = [g.copy() for g in net.gradients()]

    def loss_at() -> float:
        return loss.forward(net.predict(x), target)

    errors = {}
    for (name, p), g in zip(net.named_parameters(), analytic):
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = loss_at()
            p[idx] = old - eps
            down = loss_at()
            p[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        scale = max(np.max(np.abs(numeric), initial=0.0), np.max(np.abs(g), initial=0.0), GRADIENT_FLOOR)
        errors[name] = float(np.max(np.abs(numeric - g), initial=0.0) / scale)
    return errors
