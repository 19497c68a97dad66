"""Other dtypes, lists, strided, Fortran-order and read-only inputs: same result, caller's data intact."""

import numpy as np
import pytest

import densenn as dn


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def negative_strides(a):
    """A view with negative strides holding the values of `a`."""
    return a[::-1, ::-1].copy()[::-1, ::-1]


def strided(a):
    """A non-contiguous view (every other column of a wider array) holding the values of `a`."""
    wide = np.full((a.shape[0], 2 * a.shape[1]), 99, dtype=a.dtype)
    wide[:, ::2] = a
    return wide[:, ::2]


# Integer-valued data converts exactly to every dtype below, so results must be bitwise equal.
INTEGER_VARIANTS = {
    "int32": lambda a: a.astype(np.int32),
    "int64": lambda a: a.astype(np.int64),
    "uint8": lambda a: a.astype(np.uint8),
    "float16": lambda a: a.astype(np.float16),
    "bool": lambda a: a > 2,
    "list": lambda a: a.tolist(),
    "list-of-ints": lambda a: a.astype(int).tolist(),
    "tuple-rows": lambda a: tuple(tuple(row) for row in a.tolist()),
}
LAYOUT_VARIANTS = {
    "strided": strided,
    "fortran": np.asfortranarray,
    "negative-strides": negative_strides,
    "read-only": read_only,
    "transposed-view": lambda a: a.T.copy().T,
    "float32": lambda a: a.astype(np.float32),
    "float64": lambda a: a.astype(np.float64),
}
ALL_VARIANTS = {**INTEGER_VARIANTS, **LAYOUT_VARIANTS}


def as_expected(variant, dtype):
    """What every variant must act like: a C-contiguous copy in `dtype`."""
    return np.ascontiguousarray(np.asarray(variant), dtype=dtype)


def snapshot(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def assert_untouched(value, kept):
    if isinstance(value, np.ndarray):
        assert value.dtype == kept.dtype and value.tobytes() == kept.tobytes()
    else:
        assert value == kept


def integer_data(rng, shape):
    return rng.integers(0, 6, shape).astype(np.float64)


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_dense_forward_and_backward(variant, dtype, rng):
    make = ALL_VARIANTS[variant]
    base_x, base_dy = integer_data(rng, (4, 6)), integer_data(rng, (4, 3))
    x, dy = make(base_x), make(base_dy)
    kept = (snapshot(x), snapshot(dy))
    layer = dn.Dense(6, 3, dtype=dtype, seed=0)
    twin = dn.Dense(6, 3, dtype=dtype, seed=0)

    y = layer.forward(x)
    dx = layer.backward(dy)
    want_y = twin.forward(as_expected(x, dtype))
    want_dx = twin.backward(as_expected(dy, dtype))
    assert y.dtype == dtype and y.tobytes() == want_y.tobytes()
    assert dx.dtype == dtype and dx.tobytes() == want_dx.tobytes()
    assert layer.grad_weight.tobytes() == twin.grad_weight.tobytes()
    assert layer.grad_bias.tobytes() == twin.grad_bias.tobytes()
    assert_untouched(x, kept[0])
    assert_untouched(dy, kept[1])


@pytest.mark.parametrize("variant", LAYOUT_VARIANTS)
def test_real_valued_layouts(variant, dtype, rng):
    """Strided and reordered views of real (non-integer) data are read, never reinterpreted."""
    base = rng.normal(size=(5, 7)).astype(dtype)
    x = LAYOUT_VARIANTS[variant](base)
    kept = snapshot(x)
    model = dn.Sequential(dn.Dense(7, 4, dtype=dtype, seed=0), dn.Tanh(), dn.Dense(4, 2, dtype=dtype, seed=1))
    want = model.predict(as_expected(x, dtype))
    assert model.forward(x).tobytes() == want.tobytes()
    assert model.predict(x).tobytes() == want.tobytes()
    assert_untouched(x, kept)


@pytest.mark.parametrize("variant", ALL_VARIANTS)
@pytest.mark.parametrize("make_layer", [dn.ReLU, dn.Sigmoid, dn.Tanh, dn.Softmax], ids=lambda c: c.__name__)
def test_activation_inputs(make_layer, variant, rng):
    make = ALL_VARIANTS[variant]
    x = make(integer_data(rng, (3, 5)) - 2)
    kept = snapshot(x)
    # As torch.as_tensor: a float64 array stays float64; anything else is computed in float32.
    dtype = np.float64 if isinstance(x, np.ndarray) and x.dtype == np.float64 else np.float32
    y = make_layer().forward(x)
    assert y.dtype == dtype
    assert y.tobytes() == make_layer().forward(as_expected(x, dtype)).tobytes()
    assert_untouched(x, kept)


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_loss_inputs(variant, rng):
    make = ALL_VARIANTS[variant]
    pred, target = make(integer_data(rng, (4, 3))), make(integer_data(rng, (4, 3)))
    kept = (snapshot(pred), snapshot(target))
    dtype = np.float32 if np.asarray(pred).dtype == np.float32 else np.float64
    for make_loss in (dn.MSELoss, dn.BCEWithLogitsLoss, dn.SoftmaxCrossEntropyLoss):
        loss, twin = make_loss(), make_loss()
        # The cross-entropy reads an integer array as labels, so it gets float (probability) targets.
        odd_target = as_expected(target, dtype) if make_loss is dn.SoftmaxCrossEntropyLoss else target
        value = loss.forward(pred, odd_target)
        want = twin.forward(as_expected(pred, dtype), as_expected(target, dtype))
        assert value == want, make_loss.__name__
        # The gradient comes back in pred's own dtype when that is a float dtype (float16 too).
        pred_dtype = np.asarray(pred).dtype
        grad_dtype = pred_dtype if pred_dtype.kind == "f" else dtype
        grad = loss.backward()
        assert grad.dtype == grad_dtype, make_loss.__name__
        assert grad.tobytes() == twin.backward().astype(grad_dtype).tobytes(), make_loss.__name__
    assert_untouched(pred, kept[0])
    assert_untouched(target, kept[1])


@pytest.mark.parametrize(
    "variant", ["int32", "uint8", "int64", "strided", "negative-strides", "read-only", "list"]
)
def test_cross_entropy_label_layouts(variant, rng):
    labels = np.array([[2, 0, 1, 3, 3, 0]], dtype=np.float64)  # one row, so layouts apply
    make = ALL_VARIANTS[variant]
    odd = make(labels.astype(np.int64))
    odd = odd[0] if isinstance(odd, list) else np.asarray(odd)[0]
    logits = rng.normal(size=(6, 4))
    loss, twin = dn.SoftmaxCrossEntropyLoss(), dn.SoftmaxCrossEntropyLoss()
    assert loss.forward(logits, odd) == twin.forward(logits, np.array([2, 0, 1, 3, 3, 0]))
    assert loss.backward().tobytes() == twin.backward().tobytes()


def test_the_core_keeps_its_own_copy_of_what_backward_needs(dtype, rng):
    """Changing the caller's arrays after forward must not change what backward computes."""
    x = rng.normal(size=(4, 5)).astype(dtype)  # already the layer's dtype and contiguous: no copy needed
    dy = rng.normal(size=(4, 3)).astype(dtype)
    layer, twin = dn.Dense(5, 3, dtype=dtype, seed=0), dn.Dense(5, 3, dtype=dtype, seed=0)
    twin.forward(x.copy())
    twin.backward(dy)
    layer.forward(x)
    x[...] = 0
    layer.backward(dy)
    assert layer.grad_weight.tobytes() == twin.grad_weight.tobytes()

    act, act_twin = dn.Tanh(), dn.Tanh()
    act_twin.forward(dy.copy())
    act.forward(dy)
    want = act_twin.backward(np.ones_like(dy))
    dy[...] = 0
    assert act.backward(np.ones_like(dy)).tobytes() == want.tobytes()

    pred, target = rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)
    loss, loss_twin = dn.MSELoss(), dn.MSELoss()
    loss_twin.forward(pred.copy(), target.copy())
    loss.forward(pred, target)
    pred[...], target[...] = 1, -1
    assert loss.backward().tobytes() == loss_twin.backward().tobytes()


def test_output_is_never_the_callers_array(dtype, rng):
    x = rng.normal(size=(3, 4)).astype(dtype)
    for layer in (dn.ReLU(), dn.Tanh(), dn.Sigmoid(), dn.Softmax(), dn.LeakyReLU()):
        y = layer.forward(x)
        assert not np.shares_memory(y, x)
        assert not np.shares_memory(layer.backward(x), x)


@pytest.mark.parametrize("scalar_type", [float, np.float32, np.float64, np.int64])
def test_lr_accepts_real_scalars(scalar_type, rng):
    layer = dn.Dense(2, 2, dtype=np.float64, init="zeros")
    layer.grad_weight[...] = 1
    layer.step(scalar_type(2))
    np.testing.assert_array_equal(layer.weight, np.full((2, 2), -2.0))
