"""Property tests: whatever a user passes, densenn returns the reference result or raises a clear error,
and a call that raises changes nothing (parameters, gradients, backward state, the caller's data)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import densenn as dn

REAL_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
REAL_DTYPES += ["float16", "float32", "float64"]
OTHER_DTYPES = ["complex64", "complex128", "object", "U3", "S3", "datetime64[s]", "timedelta64[s]"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def arrays(draw, width=3):
    """Arrays of every dtype kind, shape and memory layout, with NaN and inf among the floats."""
    dtype = np.dtype(draw(st.sampled_from(REAL_DTYPES + OTHER_DTYPES)))
    ndim = draw(st.sampled_from([0, 1, 2, 2, 2, 3]))
    shape = tuple(draw(st.integers(0, 4)) for _ in range(ndim))
    if ndim and draw(st.booleans()):
        shape = shape[:-1] + (width,)  # often the width a layer expects
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=min(64, 8 * dtype.itemsize))
    elif dtype.kind in "O":
        elements = st.floats(-10, 10)
    else:
        elements = None
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    layout = draw(st.sampled_from(["c", "fortran", "strided", "reversed", "readonly", "unaligned"]))
    if layout == "fortran":
        x = np.asfortranarray(x)
    elif layout == "strided" and ndim:
        x = np.repeat(x, 2, axis=-1)[..., ::2]
    elif layout == "reversed" and ndim:
        x = np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    elif layout == "readonly":
        x = x.copy()
        x.flags.writeable = False
    elif layout == "unaligned" and dtype.kind in "biuf" and x.itemsize > 1:
        raw = np.zeros(x.nbytes + 1, np.uint8)
        raw[1:] = np.frombuffer(np.ascontiguousarray(x).tobytes(), np.uint8)
        x = np.frombuffer(raw.data, dtype=x.dtype, offset=1, count=x.size).reshape(x.shape)
    return x


def other_inputs():
    """Things that are not arrays at all."""
    return st.one_of(
        st.none(),
        st.floats(),
        st.integers(-5, 5),
        st.text(max_size=3),
        st.lists(st.lists(st.floats(-3, 3), min_size=0, max_size=4), max_size=3),  # maybe ragged
        st.lists(st.one_of(st.floats(-3, 3), st.text(max_size=1)), min_size=1, max_size=3),
    )


def outcome(call):
    """('ok', result) or ('error', exception type); any other exception fails the test."""
    try:
        return "ok", call()
    except (ValueError, TypeError) as e:
        assert str(e), "an error without a message"
        return "error", type(e)


def expected_kind(x, width):
    """Whether densenn must accept x for a layer of this input width, and the float copy it must match."""
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    ok = arr.dtype.kind in "biuf" and arr.ndim in (1, 2) and arr.shape[-1] == width
    return ok, (np.ascontiguousarray(arr, dtype=np.float64) if ok else None)


def snapshot(model):
    return [p.tobytes() for p in model.parameters() + model.gradients()]


def trained_model():
    model = dn.Sequential(
        dn.Dense(3, 4, seed=0, dtype=np.float64), dn.Tanh(), dn.Dense(4, 2, seed=1, dtype=np.float64)
    )
    model.forward(np.ones((2, 3)))
    model.backward(np.ones((2, 2)))
    return model


@SETTINGS
@given(st.one_of(arrays(), other_inputs()))
def test_forward_takes_anything_and_never_half_changes(x):
    model = trained_model()
    before, dx_before = snapshot(model), model.backward(np.ones((2, 2))).tobytes()
    kept = x.tobytes() if isinstance(x, np.ndarray) and x.dtype.kind != "O" else None
    try:
        ok, reference_input = expected_kind(x, 3)
    except (ValueError, TypeError):  # NumPy itself cannot read x (a ragged list)
        ok = False
    status, result = outcome(lambda: model.forward(x))
    if ok:
        assert status == "ok", result
        want = trained_model().predict(reference_input)
        np.testing.assert_array_equal(result, want)
    else:
        assert status == "error"
        assert snapshot(model) == before
        assert model.backward(np.ones((2, 2))).tobytes() == dx_before
    if kept is not None:
        assert x.tobytes() == kept, "the caller's array was modified"


@SETTINGS
@given(arrays(width=2))
def test_backward_takes_anything_and_never_half_changes(grad):
    model = trained_model()
    before = snapshot(model)
    status, result = outcome(lambda: model.backward(grad))
    ok = grad.dtype.kind in "biuf" and grad.shape == (2, 2)
    if ok:
        assert status == "ok", result
        np.testing.assert_array_equal(result, trained_model().backward(np.asarray(grad, dtype=np.float64)))
    else:
        assert status == "error"
        assert snapshot(model) == before


@SETTINGS
@given(arrays(width=3), arrays(width=3), st.sampled_from(["mse", "bce", "ce"]))
def test_losses_take_anything(pred, target, kind):
    loss = {"mse": dn.MSELoss, "bce": dn.BCEWithLogitsLoss, "ce": dn.SoftmaxCrossEntropyLoss}[kind]()
    loss.forward(np.zeros((2, 3)), np.zeros((2, 3)))
    grad_before = loss.backward().tobytes()
    status, result = outcome(lambda: loss.forward(pred, target))
    if status == "ok":
        assert isinstance(result, float)
        assert loss.backward().shape == pred.shape
    else:
        assert loss.backward().tobytes() == grad_before  # a refused forward keeps the last state
    accepts_pred = pred.dtype.kind in "biuf" and pred.ndim in (1, 2)
    if kind != "ce" and accepts_pred and target.dtype.kind in "biuf" and target.shape == pred.shape:
        assert status == "ok", result
        ref = {"mse": dn.MSELoss, "bce": dn.BCEWithLogitsLoss}[kind]()
        dtype = np.float32 if pred.dtype == np.float32 else np.float64
        want = ref.forward(np.asarray(pred, dtype=dtype), np.asarray(target, dtype=dtype))
        assert result == want or (np.isnan(result) and np.isnan(want))


@SETTINGS
@given(
    st.one_of(
        st.floats(), st.integers(-3, 3), st.text(max_size=2), st.none(), st.complex_numbers(), st.booleans()
    )
)
def test_step_takes_any_lr(lr):
    model = trained_model()
    before = snapshot(model)
    status, _ = outcome(lambda: model.step(lr))
    valid = isinstance(lr, (int, float)) and not isinstance(lr, bool) and np.isfinite(lr) and lr >= 0
    assert status == ("ok" if valid else "error")
    if not valid:
        assert snapshot(model) == before


@pytest.mark.parametrize("shape", [(2**62, 2), (2**40, 2**40), (2**70, 1)])
def test_impossible_sizes_are_refused_before_any_allocation(shape):
    with pytest.raises((ValueError, MemoryError)):
        dn.Dense(*shape)
