"""Dense through the public API against the float64 reference: forward, backward, step, init, seeds."""

import numpy as np
import pytest
import reference as ref

import densenn as dn

# (batch, in_features, out_features): one sample, one input, one output, primes, an empty batch.
SHAPES = [(1, 4, 3), (5, 1, 4), (5, 4, 1), (7, 13, 7), (13, 7, 13), (1, 1, 1), (0, 4, 3)]
SHAPE_IDS = [f"b{b}-in{i}-out{o}" for b, i, o in SHAPES]


def make_dense(in_features, out_features, dtype, rng, bias=True):
    """A Dense layer with a random (non-zero) bias, so that the bias really takes part."""
    layer = dn.Dense(in_features, out_features, bias=bias, dtype=dtype, seed=3)
    if bias:
        layer.bias[...] = rng.uniform(-1, 1, out_features)
    return layer


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize(("batch", "n_in", "n_out"), SHAPES, ids=SHAPE_IDS)
def test_forward_matches_reference(batch, n_in, n_out, bias, dtype, rng, assert_close):
    layer = make_dense(n_in, n_out, dtype, rng, bias)
    x = rng.uniform(-2, 2, (batch, n_in)).astype(dtype)
    y = layer.forward(x)
    assert y.dtype == dtype
    assert_close(y, ref.dense_forward(x, layer.weight, layer.bias), dtype)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize(("batch", "n_in", "n_out"), SHAPES, ids=SHAPE_IDS)
def test_backward_matches_reference(batch, n_in, n_out, bias, dtype, rng, assert_close):
    layer = make_dense(n_in, n_out, dtype, rng, bias)
    x = rng.uniform(-2, 2, (batch, n_in)).astype(dtype)
    dy = rng.uniform(-1, 1, (batch, n_out)).astype(dtype)
    layer.forward(x)
    dx = layer.backward(dy)
    want_dx, want_dw, want_db = ref.dense_backward(dy, x, layer.weight)
    assert dx.dtype == dtype
    assert_close(dx, want_dx, dtype)
    assert_close(layer.grad_weight, want_dw, dtype)
    if bias:
        assert_close(layer.grad_bias, want_db, dtype)
    else:
        assert layer.grad_bias is None


@pytest.mark.parametrize("lr", [0.0, 0.1, 2.5])
@pytest.mark.parametrize(("batch", "n_in", "n_out"), SHAPES, ids=SHAPE_IDS)
def test_step_matches_reference(batch, n_in, n_out, lr, dtype, rng, assert_close):
    layer = make_dense(n_in, n_out, dtype, rng)
    x = rng.uniform(-2, 2, (batch, n_in)).astype(dtype)
    layer.forward(x)
    layer.backward(rng.uniform(-1, 1, (batch, n_out)).astype(dtype))
    want_w = ref.sgd(layer.weight, layer.grad_weight, lr)
    want_b = ref.sgd(layer.bias, layer.grad_bias, lr)
    layer.step(lr)
    assert_close(layer.weight, want_w, dtype)
    assert_close(layer.bias, want_b, dtype)


@pytest.mark.parametrize(("n_in", "n_out"), [(1, 1), (4, 3), (13, 7)], ids=["1x1", "4x3", "13x7"])
def test_one_dimensional_input(n_in, n_out, dtype, rng, assert_close):
    """x of shape (in,) gives y of shape (out,) and the gradients of a batch of one."""
    layer = make_dense(n_in, n_out, dtype, rng)
    x = rng.uniform(-2, 2, n_in).astype(dtype)
    dy = rng.uniform(-1, 1, n_out).astype(dtype)
    y = layer.forward(x)
    assert y.shape == (n_out,)
    assert_close(y, ref.dense_forward(x[None], layer.weight, layer.bias)[0], dtype)
    dx = layer.backward(dy)
    want_dx, want_dw, want_db = ref.dense_backward(dy[None], x[None], layer.weight)
    assert dx.shape == (n_in,)
    assert_close(dx, want_dx[0], dtype)
    assert_close(layer.grad_weight, want_dw, dtype)
    assert_close(layer.grad_bias, want_db, dtype)


def test_empty_batch_gives_empty_output_and_zero_gradients(dtype, rng):
    layer = make_dense(4, 3, dtype, rng)
    # A first backward leaves non-zero gradients, which the empty batch must then overwrite.
    layer.forward(rng.uniform(-1, 1, (5, 4)))
    layer.backward(np.ones((5, 3)))
    assert np.all(layer.grad_weight != 0) and np.all(layer.grad_bias != 0)

    y = layer.forward(np.zeros((0, 4), dtype=dtype))
    assert y.shape == (0, 3) and y.dtype == dtype
    dx = layer.backward(np.zeros((0, 3), dtype=dtype))
    assert dx.shape == (0, 4) and dx.dtype == dtype
    np.testing.assert_array_equal(layer.grad_weight, np.zeros((3, 4)))
    np.testing.assert_array_equal(layer.grad_bias, np.zeros(3))


def test_no_bias_layer_has_only_a_weight(dtype, rng, assert_close):
    layer = dn.Dense(5, 2, bias=False, dtype=dtype, seed=0)
    assert layer.bias is None and layer.grad_bias is None
    assert len(layer.parameters()) == 1 and layer.parameters()[0] is layer.weight
    x = rng.uniform(-1, 1, (3, 5)).astype(dtype)
    assert_close(layer.forward(x), x.astype(np.float64) @ layer.weight.astype(np.float64).T, dtype)


# ---- initialisation --------------------------------------------------------------------------------


@pytest.mark.parametrize("init", ["he", "xavier"])
@pytest.mark.parametrize(("n_in", "n_out"), [(1, 1), (64, 32), (3, 200)], ids=["1x1", "64x32", "3x200"])
def test_uniform_init_bounds(init, n_in, n_out, dtype):
    layer = dn.Dense(n_in, n_out, init=init, dtype=dtype, seed=11)
    bound = ref.he_bound(n_in) if init == "he" else ref.xavier_bound(n_in, n_out)
    w = layer.weight.astype(np.float64)
    assert w.shape == (n_out, n_in) and layer.weight.dtype == dtype
    assert np.all(np.abs(w) <= bound * (1 + 1e-7))
    np.testing.assert_array_equal(layer.bias, np.zeros(n_out))
    if w.size >= 100:  # enough draws to see the whole interval and its centre
        assert np.max(np.abs(w)) > 0.9 * bound
        assert abs(np.mean(w)) < 0.2 * bound
        assert len(np.unique(w)) > w.size // 2


def test_default_init_is_he():
    a = dn.Dense(20, 10, seed=5)
    b = dn.Dense(20, 10, seed=5, init="he")
    np.testing.assert_array_equal(a.weight, b.weight)
    assert a.weight.dtype == np.float32


def test_zeros_init(dtype):
    layer = dn.Dense(6, 4, init="zeros", dtype=dtype, seed=1)
    np.testing.assert_array_equal(layer.weight, np.zeros((4, 6)))
    np.testing.assert_array_equal(layer.bias, np.zeros(4))


@pytest.mark.parametrize("init", ["he", "xavier"])
def test_same_seed_gives_bitwise_same_weights(init, dtype):
    a = dn.Dense(13, 7, init=init, dtype=dtype, seed=42)
    b = dn.Dense(13, 7, init=init, dtype=dtype, seed=42)
    c = dn.Dense(13, 7, init=init, dtype=dtype, seed=43)
    assert a.weight.tobytes() == b.weight.tobytes()
    assert not np.array_equal(a.weight, c.weight)


def test_no_seed_draws_different_weights():
    assert not np.array_equal(dn.Dense(8, 8).weight, dn.Dense(8, 8).weight)


@pytest.mark.parametrize("spelling", ["float64", np.float64, np.dtype("float64"), float])
def test_dtype_accepts_strings_and_types(spelling):
    layer = dn.Dense(3, 2, dtype=spelling, seed=0)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    assert layer.forward(np.ones(3)).dtype == np.float64
    np.testing.assert_array_equal(layer.weight, dn.Dense(3, 2, dtype=np.float64, seed=0).weight)


def test_float32_string_dtype():
    assert dn.Dense(3, 2, dtype="float32", seed=0).weight.dtype == np.float32


def test_dtype_none_is_float32_as_in_pytorch():
    # np.dtype(None) is float64; PyTorch reads dtype=None as its default dtype, float32.
    layer = dn.Dense(3, 4, dtype=None, seed=0)
    assert layer.dtype == np.float32
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer.weight.tobytes() == dn.Dense(3, 4, seed=0).weight.tobytes()
    assert layer.forward(np.ones(3)).dtype == np.float32
    assert repr(layer) == "Dense(3, 4)"
