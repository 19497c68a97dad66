"""Dense.weight/bias/grad_weight/grad_bias are writable zero-copy views of the C++ buffers."""

import gc

import numpy as np
import pytest

import densenn as dn

VIEWS = ["weight", "bias", "grad_weight", "grad_bias"]


def trained_layer(dtype, rng):
    """A Dense(4, 3) after one forward and backward, so every buffer holds non-zero values."""
    layer = dn.Dense(4, 3, dtype=dtype, seed=1)
    layer.bias[...] = [0.1, -0.2, 0.3]
    layer.forward(rng.uniform(-1, 1, (5, 4)))
    layer.backward(rng.uniform(-1, 1, (5, 3)))
    return layer


@pytest.mark.parametrize("name", VIEWS)
def test_views_are_writable_and_stable(name, dtype, rng):
    layer = trained_layer(dtype, rng)
    view = getattr(layer, name)
    assert isinstance(view, np.ndarray) and view.dtype == dtype
    assert view.flags.writeable and view.flags.c_contiguous
    assert not view.flags.owndata  # memory owned by the C++ layer
    assert np.shares_memory(view, getattr(layer, name))  # the same buffer every time


def test_writing_weight_and_bias_changes_forward(dtype):
    layer = dn.Dense(3, 2, dtype=dtype, seed=0)
    x = np.array([[1.0, 2.0, 3.0]])
    layer.weight[...] = [[1, 0, 0], [0, 0, 1]]
    np.testing.assert_array_equal(layer.forward(x), [[1.0, 3.0]])
    layer.bias[1] = 10
    np.testing.assert_array_equal(layer.forward(x), [[1.0, 13.0]])
    w = layer.weight
    w *= 2  # in place through a view obtained earlier
    np.testing.assert_array_equal(layer.forward(x), [[2.0, 16.0]])


def test_assigning_weight_copies_into_the_existing_buffer(dtype):
    layer = dn.Dense(2, 2, dtype=dtype, seed=0)
    earlier = layer.weight
    layer.weight = np.array([[1, 2], [3, 4]])
    layer.bias = [5, 6]
    np.testing.assert_array_equal(earlier, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(layer.forward(np.array([1.0, 1.0])), [8.0, 13.0])


def test_step_is_visible_through_views(dtype, rng):
    layer = trained_layer(dtype, rng)
    w, b = layer.weight, layer.bias
    want_w = w - dtype.type(0.5) * layer.grad_weight
    want_b = b - dtype.type(0.5) * layer.grad_bias
    layer.step(0.5)
    np.testing.assert_array_equal(w, want_w)
    np.testing.assert_array_equal(b, want_b)


def test_gradient_views_see_every_backward(dtype, rng):
    layer = dn.Dense(4, 3, dtype=dtype, seed=1)
    gw, gb = layer.grad_weight, layer.grad_bias
    assert not np.any(gw) and not np.any(gb)
    x = np.ones((2, 4))
    layer.forward(x)
    layer.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(gw, np.full((3, 4), 2.0))
    np.testing.assert_array_equal(gb, np.full(3, 2.0))


def test_backward_overwrites_instead_of_accumulating(dtype, rng):
    layer = trained_layer(dtype, rng)
    x = rng.uniform(-1, 1, (5, 4))
    dy = rng.uniform(-1, 1, (5, 3))
    layer.forward(x)
    layer.backward(dy)
    first = (layer.grad_weight.copy(), layer.grad_bias.copy())
    layer.backward(dy)
    assert layer.grad_weight.tobytes() == first[0].tobytes()
    assert layer.grad_bias.tobytes() == first[1].tobytes()


def test_writing_gradients_then_step_uses_them(dtype):
    layer = dn.Dense(2, 1, dtype=dtype, init="zeros")
    layer.grad_weight[...] = [[1.0, -2.0]]
    layer.grad_bias[...] = [4.0]
    layer.step(0.25)
    np.testing.assert_array_equal(layer.weight, [[-0.25, 0.5]])
    np.testing.assert_array_equal(layer.bias, [-1.0])


@pytest.mark.parametrize("name", VIEWS)
def test_view_outlives_the_layer(name, dtype, rng):
    layer = trained_layer(dtype, rng)
    view = getattr(layer, name)
    expected = view.copy()
    del layer
    gc.collect()
    np.testing.assert_array_equal(view, expected)  # still the layer's memory, kept alive by the view
    view[...] = 7
    np.testing.assert_array_equal(view, np.full_like(expected, 7))


def test_model_step_is_visible_through_parameters(rng, assert_close):
    model = dn.Sequential(dn.Dense(3, 4, seed=0), dn.Tanh(), dn.Dense(4, 2, seed=1))
    params = model.parameters()
    before = [p.copy() for p in params]
    model.forward(rng.uniform(-1, 1, (6, 3)))
    model.backward(np.ones((6, 2)))
    model.step(0.1)
    for p, b, g in zip(params, before, model.gradients()):
        assert_close(p, b - np.float32(0.1) * g, np.float32)
