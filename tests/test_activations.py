"""Activations (ReLU, LeakyReLU, Sigmoid, Tanh, Softmax) against the float64 reference, both dtypes."""

import numpy as np
import pytest
import reference as ref

import densenn as dn

# name -> (layer factory, reference forward, reference backward(dy, x))
ACTIVATIONS = {
    "relu": (dn.ReLU, ref.relu, ref.relu_backward),
    "leaky_relu-default": (dn.LeakyReLU, ref.leaky_relu, ref.leaky_relu_backward),
    "leaky_relu-0.2": (
        lambda: dn.LeakyReLU(0.2),
        lambda x: ref.leaky_relu(x, 0.2),
        lambda dy, x: ref.leaky_relu_backward(dy, x, 0.2),
    ),
    "sigmoid": (dn.Sigmoid, ref.sigmoid, ref.sigmoid_backward),
    "tanh": (dn.Tanh, ref.tanh, ref.tanh_backward),
    "softmax": (dn.Softmax, ref.softmax, ref.softmax_backward),
}

SHAPES = [(1, 1), (1, 5), (5, 1), (7, 13), (0, 4), (1,), (6,)]
SHAPE_IDS = ["x".join(map(str, s)) for s in SHAPES]


def sample(shape, dtype, rng, scale=3.0):
    """Random values with a few exact zeros (where ReLU's derivative is defined as 0)."""
    x = rng.uniform(-scale, scale, shape)
    x.flat[::4] = 0.0
    return x.astype(dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_forward_matches_reference(name, shape, dtype, rng, assert_close):
    make, forward, _ = ACTIVATIONS[name]
    x = sample(shape, dtype, rng)
    y = make().forward(x)
    assert y.dtype == dtype
    assert_close(y, forward(x), dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_backward_matches_reference(name, shape, dtype, rng, assert_close):
    make, _, backward = ACTIVATIONS[name]
    x = sample(shape, dtype, rng)
    dy = rng.uniform(-1, 1, shape).astype(dtype)
    layer = make()
    layer.forward(x)
    dx = layer.backward(dy)
    assert dx.dtype == dtype
    assert_close(dx, backward(dy, x), dtype)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_have_no_parameters_and_step_is_harmless(name, dtype, rng):
    layer = ACTIVATIONS[name][0]()
    x = sample((3, 4), dtype, rng)
    before = layer.forward(x)
    layer.backward(np.ones((3, 4), dtype=dtype))
    assert layer.parameters() == []
    layer.step(0.5)
    np.testing.assert_array_equal(layer.forward(x), before)


def test_relu_gradient_is_zero_at_zero(dtype):
    layer = dn.ReLU()
    layer.forward(np.array([-1.0, 0.0, 1.0], dtype=dtype))
    np.testing.assert_array_equal(layer.backward(np.ones(3, dtype=dtype)), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("big", [50.0, 1e3, 1e4, 1e30])
def test_sigmoid_and_tanh_saturate_without_overflow(big, dtype):
    x = np.array([[-big, big]], dtype=dtype)
    with np.errstate(all="raise"):  # NumPy would warn on overflow; densenn must not produce inf/nan
        s = dn.Sigmoid().forward(x)
        t = dn.Tanh().forward(x)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(t))
    np.testing.assert_allclose(s, [[0.0, 1.0]], atol=1e-20 if big >= 1e3 else 1e-12)
    np.testing.assert_array_equal(t, [[-1.0, 1.0]])


@pytest.mark.parametrize("big", [1e2, 1e4, 1e30])
def test_softmax_is_stable_for_huge_inputs(big, dtype, assert_close):
    x = np.array([[big, -big, 0.0], [big, big, -big], [-big, -big, -big]], dtype=dtype)
    y = dn.Softmax().forward(x)
    assert np.all(np.isfinite(y))
    assert_close(y.sum(axis=-1), np.ones(3), dtype)
    assert_close(y, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]], dtype)


def test_softmax_rows_sum_to_one_and_are_shift_invariant(dtype, rng, assert_close):
    x = rng.normal(size=(7, 13)).astype(dtype)
    y = dn.Softmax().forward(x)
    assert_close(y.sum(axis=1), np.ones(7), dtype)
    assert_close(dn.Softmax().forward(x + dtype.type(100)), y, dtype)


def test_leaky_relu_slope_is_used(dtype):
    layer = dn.LeakyReLU(negative_slope=0.5)
    np.testing.assert_array_equal(layer.forward(np.array([-2.0, 3.0], dtype=dtype)), [-1.0, 3.0])
    np.testing.assert_array_equal(layer.backward(np.array([4.0, 4.0], dtype=dtype)), [2.0, 4.0])


@pytest.mark.parametrize("name", ["relu", "leaky_relu-default", "sigmoid", "tanh", "softmax"])
def test_nan_propagates(name, dtype):
    """A NaN input gives a NaN output, as in PyTorch and np.maximum: a diverged net must not look healthy."""
    y = ACTIVATIONS[name][0]().forward(np.array([[np.nan, 1.0, -1.0]], dtype=dtype))
    assert np.isnan(y[0, 0])


# ---- the dtype a standalone activation computes in: torch.as_tensor's --------------------------------

# input variant -> (values as given, the dtype expected): only float64 arrays stay float64; everything
# else becomes float32, PyTorch's default dtype.
VALUES = [[-2.0, 0.0, 0.5], [3.0, -1.0, 1.0]]
DTYPE_VARIANTS = {
    "list-of-floats": (VALUES, np.float32),
    "1-d-list": (VALUES[0], np.float32),
    "list-of-ints": ([[-2, 0, 1], [3, -1, 1]], np.float32),
    "list-of-bools": ([[True, False, True]], np.float32),
    "tuple": (tuple(VALUES[0]), np.float32),
    "int64": (np.array(VALUES).astype(np.int64), np.float32),
    "bool": (np.array(VALUES) > 0, np.float32),
    "float16": (np.array(VALUES, np.float16), np.float32),
    "float32": (np.array(VALUES, np.float32), np.float32),
    "float64": (np.array(VALUES, np.float64), np.float64),
    "float64-fortran": (np.asfortranarray(np.array(VALUES, np.float64)), np.float64),
    "float64-strided": (np.array(VALUES, np.float64)[:, ::2], np.float64),
}


def check_computes_in(layer, reference, x, values, want, assert_close):
    """forward, predict and backward of `layer` on x (holding `values`): `want` and the reference's values."""
    x64 = np.asarray(values, dtype=np.float64)
    y = layer.forward(x)
    assert y.dtype == want
    assert_close(y, reference[1](x64), want)
    assert layer.predict(x).dtype == want
    dy = np.ones(x64.shape).tolist()  # a list: the backward follows the forward's dtype, not its own
    dx = layer.backward(dy)
    assert dx.dtype == want
    assert_close(dx, reference[2](np.ones(x64.shape), x64), want)


@pytest.mark.parametrize("variant", DTYPE_VARIANTS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_standalone_activation_dtype_follows_torch(name, variant, assert_close):
    x, want = DTYPE_VARIANTS[variant]
    check_computes_in(ACTIVATIONS[name][0](), ACTIVATIONS[name], x, x, want, assert_close)


TORCH_MODULES = {
    "relu": lambda nn: nn.ReLU(),
    "leaky_relu-0.2": lambda nn: nn.LeakyReLU(0.2),
    "tanh": lambda nn: nn.Tanh(),
    "softmax": lambda nn: nn.Softmax(dim=-1),
}


@pytest.mark.parametrize(
    ("torch_dtype", "want"),
    [("float64", np.float64), ("float32", np.float32), ("float16", np.float32), ("int64", np.float32)],
)
@pytest.mark.parametrize("grad", [False, True], ids=["tensor", "requires-grad"])
@pytest.mark.parametrize("name", TORCH_MODULES)
def test_activation_reads_a_torch_tensors_dtype(name, torch_dtype, want, grad, torch, assert_close):
    # torch.float32 == np.float32 is False: a tensor's dtype must be read as NumPy's, not compared.
    x = torch.tensor(VALUES, dtype=getattr(torch, torch_dtype))
    x.requires_grad_(grad and x.is_floating_point())
    check_computes_in(ACTIVATIONS[name][0](), ACTIVATIONS[name], x, x.tolist(), want, assert_close)
    if x.is_floating_point() and torch_dtype != "float16":  # torch computes these in their own dtype
        out = TORCH_MODULES[name](torch.nn)(x).detach().numpy()
        y = ACTIVATIONS[name][0]().forward(x)
        assert y.dtype == out.dtype
        assert_close(y, out, want)


def test_a_sequential_of_activations_only_computes_in_the_same_dtype(assert_close):
    model = dn.Sequential(dn.Tanh(), dn.LeakyReLU(0.2))
    for x, want in DTYPE_VARIANTS.values():
        x64 = np.asarray(x, dtype=np.float64)
        y = model.forward(x)
        assert y.dtype == want
        assert_close(y, ref.leaky_relu(ref.tanh(x64), 0.2), want)
        assert model.predict(x).dtype == want
        assert model.backward(np.ones(x64.shape)).dtype == want


def test_leaky_relu_slope_is_fixed_at_construction():
    # The C++ layers (this object's, and those of every model holding it) were built with it: an
    # assignment that they would silently ignore is refused instead.
    act = dn.LeakyReLU(0.1)
    model = dn.Sequential(dn.Dense(2, 2, seed=0), act)
    model.forward(np.ones((1, 2), np.float32))
    with pytest.raises(AttributeError, match="fixed at construction"):
        act.negative_slope = 0.5
    assert act.negative_slope == 0.1
    np.testing.assert_allclose(act.forward(np.array([-1.0, 2.0])), [-0.1, 2.0], rtol=1e-15)
