"""Sequential's C++ path: train_step and the one-call forward/backward match the layer-by-layer loop."""

import numpy as np
import pytest

import densenn as dn


class Identity:
    """A user-defined layer: it makes a Sequential drive its layers one by one from Python."""

    def forward(self, x):
        return np.asarray(x)

    def predict(self, x):
        return np.asarray(x)

    def backward(self, grad):
        return np.asarray(grad)


def make(dtype, identity=False):
    layers = [dn.Dense(6, 9, dtype=dtype, seed=1), dn.Tanh(), dn.Dense(9, 4, dtype=dtype, seed=2)]
    if identity:
        layers.insert(1, Identity())
    return dn.Sequential(*layers)


def targets(name, rng, dtype):
    if name == "labels":
        return dn.SoftmaxCrossEntropyLoss, rng.integers(0, 4, size=5)
    if name == "probabilities":
        p = rng.random((5, 4))
        return dn.SoftmaxCrossEntropyLoss, (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    if name == "bce":
        return dn.BCEWithLogitsLoss, rng.random((5, 4)).astype(dtype)
    return dn.MSELoss, rng.normal(size=(5, 4)).astype(dtype)


def state(model):
    return [p.tobytes() for p in model.parameters() + model.gradients()]


@pytest.mark.parametrize("kind", ["mse", "bce", "labels", "probabilities"])
def test_train_step_is_forward_loss_backward_step(kind, dtype, rng):
    make_loss, target = targets(kind, rng, dtype)
    x = rng.normal(size=(5, 6)).astype(dtype)
    fused, composed = make(dtype), make(dtype)
    fused_loss, composed_loss = make_loss(), make_loss()
    for _ in range(3):
        a = fused.train_step(x, target, fused_loss, 0.1)
        b = composed_loss.forward(composed.forward(x), target)
        composed.backward(composed_loss.backward())
        composed.step(0.1)
        assert isinstance(a, float) and a == b
    assert state(fused) == state(composed)
    # The loss and the model keep the state of the step: backward works after it.
    assert fused_loss.backward().tobytes() == composed_loss.backward().tobytes()
    dx = fused.backward(fused_loss.backward())
    assert dx.tobytes() == composed.backward(composed_loss.backward()).tobytes()


def test_user_defined_layers_take_the_python_path_with_the_same_results(dtype, rng):
    x = rng.normal(size=(5, 6)).astype(dtype)
    fast, slow = make(dtype), make(dtype, identity=True)
    assert fast._core is not None and slow._core is None
    assert fast.forward(x).tobytes() == slow.forward(x).tobytes()
    dy = rng.normal(size=(5, 4)).astype(dtype)
    assert fast.backward(dy).tobytes() == slow.backward(dy).tobytes()
    fast.step(0.3)
    slow.step(0.3)
    assert state(fast) == state(slow)
    assert fast.predict(x[0]).tobytes() == slow.predict(x[0]).tobytes()
    loss = dn.MSELoss()
    assert fast.train_step(x, dy, loss, 0.1) == slow.train_step(x, dy, loss, 0.1)
    assert state(fast) == state(slow)


@pytest.mark.parametrize(
    "target, error, match",
    [
        (np.array([0, 1, 4, 0, 1]), ValueError, "out of range"),
        (np.zeros((5, 3)), ValueError, r"\(5, 4\)"),
        (np.array(["a"] * 5), TypeError, "real numbers"),
        (np.array([0.5, 1, 2, 3, 0]), ValueError, "whole numbers"),
    ],
)
def test_a_failed_train_step_changes_nothing(target, error, match, rng):
    model, loss = make(np.float64), dn.SoftmaxCrossEntropyLoss()
    x = rng.normal(size=(5, 6))
    model.train_step(x, np.array([0, 1, 2, 3, 0]), loss, 0.1)
    dx_before = model.backward(np.ones((5, 4))).tobytes()
    before = state(model)
    with pytest.raises(error, match=match):
        model.train_step(x + 1, target, loss, 0.1)
    assert state(model) == before
    assert model.backward(np.ones((5, 4))).tobytes() == dx_before


def test_train_step_checks_lr(rng):
    model = make(np.float32)
    x, y = rng.normal(size=(5, 6)), rng.normal(size=(5, 4))
    with pytest.raises(TypeError):
        model.train_step(x, y, dn.MSELoss(), "0.1")
    with pytest.raises(ValueError):
        model.train_step(x, y, dn.MSELoss(), -0.1)


def test_train_step_learns(rng):
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y = (x[:, :4] ** 2).astype(np.float32)
    model, loss = make(np.float32), dn.MSELoss()
    first = model.train_step(x, y, loss, 0.05)
    for _ in range(300):
        last = model.train_step(x, y, loss, 0.05)
    assert last < 0.5 * first
