"""End to end: small nets learn XOR and a linear regression with model.step, deterministically."""

import numpy as np
import pytest

import densenn as dn

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def train_xor(dtype, epochs=1500, lr=0.5):
    """Full-batch SGD on XOR; returns the model and the loss after every step."""
    model = dn.Sequential(dn.Dense(2, 8, dtype=dtype, seed=0), dn.Tanh(), dn.Dense(8, 1, dtype=dtype, seed=1))
    loss_fn = dn.BCEWithLogitsLoss()
    losses = []
    for _ in range(epochs):
        losses.append(loss_fn.forward(model.forward(XOR_X), XOR_Y))
        model.backward(loss_fn.backward())
        model.step(lr)
    return model, losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_learns_xor(dtype):
    model, losses = train_xor(dtype)
    assert losses[-1] < 0.05 < losses[0]
    predicted = (model.predict(XOR_X) > 0).astype(float)
    np.testing.assert_array_equal(predicted, XOR_Y)  # 100% accuracy


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_training_is_bitwise_deterministic(dtype):
    model_a, losses_a = train_xor(dtype, epochs=200)
    model_b, losses_b = train_xor(dtype, epochs=200)
    assert losses_a == losses_b
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        assert a.tobytes() == b.tobytes()


def test_learns_a_linear_regression():
    rng = np.random.default_rng(0)
    true_w, true_b = np.array([[2.0, -3.0, 0.5]]), np.array([1.25])
    x = rng.normal(size=(64, 3))
    y = x @ true_w.T + true_b
    layer = dn.Dense(3, 1, dtype=np.float64, seed=0)
    model = dn.Sequential(layer)
    loss_fn = dn.MSELoss()
    for _ in range(300):
        loss = loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        model.step(0.1)
    assert loss < 1e-12
    np.testing.assert_allclose(layer.weight, true_w, atol=1e-6)
    np.testing.assert_allclose(layer.bias, true_b, atol=1e-6)


def test_learns_a_three_class_problem_with_cross_entropy():
    rng = np.random.default_rng(1)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    labels = np.repeat(np.arange(3), 30)
    x = centres[labels] + rng.normal(scale=0.4, size=(90, 2))
    model = dn.Sequential(dn.Dense(2, 16, seed=0), dn.ReLU(), dn.Dense(16, 3, seed=1))
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    first = None
    for _ in range(200):
        loss = loss_fn.forward(model.forward(x), labels)
        first = loss if first is None else first
        model.backward(loss_fn.backward())
        model.step(0.2)
    assert loss < 0.1 * first
    assert np.mean(model.predict(x).argmax(axis=1) == labels) == 1.0
