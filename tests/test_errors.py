"""Every error path of SPEC "Errors (required)": type, message, and nothing changed afterwards."""

import numpy as np
import pytest

import densenn as dn

BATCH, N_IN, N_OUT = 4, 3, 2


class Trained:
    """One of each kind of object after a forward and a backward, and a bitwise record of its state.

    ``state()`` reads every parameter and gradient, then replays each backward from the kept
    training state: a failed call must leave all of it as it was (no half-changed model).
    """

    def __init__(self, dtype):
        rng = np.random.default_rng(0)
        self.dtype = dtype
        self.x = rng.normal(size=(BATCH, N_IN)).astype(dtype)
        self.dy = rng.normal(size=(BATCH, N_OUT)).astype(dtype)
        self.target = rng.normal(size=(BATCH, N_OUT)).astype(dtype)
        self.labels = np.array([0, 1, 1, 0])
        self.dense = dn.Dense(N_IN, N_OUT, dtype=dtype, seed=0)
        self.model = dn.Sequential(
            dn.Dense(N_IN, 5, dtype=dtype, seed=1), dn.Tanh(), dn.Dense(5, N_OUT, dtype=dtype, seed=2)
        )
        self.tanh = dn.Tanh()
        self.mse, self.bce, self.ce = dn.MSELoss(), dn.BCEWithLogitsLoss(), dn.SoftmaxCrossEntropyLoss()
        for layer in (self.dense, self.model):
            layer.forward(self.x)
            layer.backward(self.dy)
        self.tanh.forward(self.x)
        self.tanh.backward(self.x)
        self.mse.forward(self.dy, self.target)
        self.bce.forward(self.dy, self.target)
        self.ce.forward(self.dy, self.labels)
        self.inputs = {"x": self.x, "dy": self.dy, "target": self.target, "labels": self.labels}
        self.kept_inputs = {k: v.copy() for k, v in self.inputs.items()}
        self.record = self.state()

    def state(self):
        state = {}
        for name, obj in (("dense", self.dense), ("model", self.model)):
            for i, array in enumerate(obj.parameters() + obj.gradients()):
                state[f"{name}[{i}]"] = array.tobytes()
        state["dense.backward"] = self.dense.backward(self.dy).tobytes()
        state["model.backward"] = self.model.backward(self.dy).tobytes()
        state["tanh.backward"] = self.tanh.backward(self.x).tobytes()
        for name in ("mse", "bce", "ce"):
            state[f"{name}.backward"] = getattr(self, name).backward().tobytes()
        return state

    def assert_unchanged(self):
        assert self.state() == self.record
        for name, array in self.inputs.items():
            assert array.tobytes() == self.kept_inputs[name].tobytes(), f"the caller's {name} was modified"


@pytest.fixture
def trained(dtype):
    return Trained(dtype)


# ---- wrong shapes: ValueError naming the expected and the received shape ----------------------------

WRONG_SHAPES = {
    "dense.forward-width": (lambda t: t.dense.forward(np.zeros((4, 5))), ["(batch, 3)", "(4, 5)"]),
    "dense.forward-1d": (lambda t: t.dense.forward(np.zeros(5)), ["(3,)", "(5,)"]),
    "dense.backward-width": (lambda t: t.dense.backward(np.zeros((4, 3))), ["(4, 2)", "(4, 3)"]),
    "dense.backward-batch": (lambda t: t.dense.backward(np.zeros((5, 2))), ["(4, 2)", "(5, 2)"]),
    "dense.backward-1d": (lambda t: t.dense.backward(np.zeros(2)), ["(4, 2)", "(2,)"]),
    "tanh.backward": (lambda t: t.tanh.backward(np.zeros((4, 2))), ["(4, 3)", "(4, 2)"]),
    "model.forward": (lambda t: t.model.forward(np.zeros((4, 5))), ["(batch, 3)", "(4, 5)"]),
    "model.predict": (lambda t: t.model.predict(np.zeros((4, 5))), ["(batch, 3)", "(4, 5)"]),
    "model.backward": (lambda t: t.model.backward(np.zeros((4, 3))), ["(4, 2)", "(4, 3)"]),
    "mse.target": (lambda t: t.mse.forward(np.zeros((4, 3)), np.zeros((4, 2))), ["(4, 3)", "(4, 2)"]),
    "mse.target-transposed": (
        lambda t: t.mse.forward(np.zeros((4, 2)), np.zeros((2, 4))),
        ["(4, 2)", "(2, 4)"],
    ),
    "bce.target": (lambda t: t.bce.forward(np.zeros((4, 3)), np.zeros((4, 2))), ["(4, 3)", "(4, 2)"]),
    "ce.labels-length": (lambda t: t.ce.forward(np.zeros((4, 3)), np.zeros(5, int)), ["(4,)", "(5,)"]),
    "ce.probabilities": (lambda t: t.ce.forward(np.zeros((4, 3)), np.zeros((4, 2))), ["(4,)", "(4, 2)"]),
    "dense.weight-setter": (lambda t: setattr(t.dense, "weight", np.zeros((3, 2))), ["(2, 3)", "(3, 2)"]),
    "dense.bias-setter": (lambda t: setattr(t.dense, "bias", np.zeros(3)), ["(2,)", "(3,)"]),
}


@pytest.mark.parametrize("case", WRONG_SHAPES)
def test_wrong_shape_raises_value_error_naming_both_shapes(case, trained):
    call, shapes = WRONG_SHAPES[case]
    with pytest.raises(ValueError) as info:
        call(trained)
    for shape in shapes:
        assert shape in str(info.value), f"{shape} not named in: {info.value}"
    trained.assert_unchanged()


def test_failed_forward_keeps_the_previous_training_state_when_an_activation_comes_first():
    """Sequential(Tanh, Dense): a wrong width is found only at the Dense, after Tanh already ran."""
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    model = dn.Sequential(dn.Tanh(), dn.Dense(3, 2, dtype=np.float64, seed=0))
    model.forward(x)
    want_dx = model.backward(np.ones((4, 2)))
    want = [g.copy() for g in model.gradients()]
    with pytest.raises(ValueError):
        model.forward(np.zeros((5, 4)))
    dx = model.backward(np.ones((4, 2)))  # still the state of forward(x)
    assert dx.tobytes() == want_dx.tobytes()
    assert all(g.tobytes() == w.tobytes() for g, w in zip(model.gradients(), want))


# ---- non-numeric input: TypeError ------------------------------------------------------------------

BAD_VALUES = {
    "complex": lambda shape: np.ones(shape, dtype=complex),
    "object-floats": lambda shape: np.ones(shape, dtype=float).astype(object),
    "str": lambda shape: "abc",
    "bytes": lambda shape: b"abc",
    "none": lambda shape: None,
    "str-array": lambda shape: np.full(shape, "1.0"),
    "list-of-str": lambda shape: np.full(shape, "a").tolist(),
    "datetime": lambda shape: np.zeros(shape, dtype="datetime64[s]"),
}

# call site -> (call(trained, value), the shape a valid value would have)
TYPE_SITES = {
    "dense.forward": (lambda t, v: t.dense.forward(v), (4, 3)),
    "dense.backward": (lambda t, v: t.dense.backward(v), (4, 2)),
    "tanh.forward": (lambda t, v: t.tanh.forward(v), (4, 3)),
    "tanh.backward": (lambda t, v: t.tanh.backward(v), (4, 3)),
    "model.forward": (lambda t, v: t.model.forward(v), (4, 3)),
    "model.predict": (lambda t, v: t.model.predict(v), (4, 3)),
    "model.backward": (lambda t, v: t.model.backward(v), (4, 2)),
    "mse.pred": (lambda t, v: t.mse.forward(v, t.target), (4, 2)),
    "mse.target": (lambda t, v: t.mse.forward(t.dy, v), (4, 2)),
    "bce.pred": (lambda t, v: t.bce.forward(v, t.target), (4, 2)),
    "bce.target": (lambda t, v: t.bce.forward(t.dy, v), (4, 2)),
    "ce.pred": (lambda t, v: t.ce.forward(v, t.labels), (4, 2)),
    "ce.labels": (lambda t, v: t.ce.forward(t.dy, v), (4,)),
    "ce.probabilities": (lambda t, v: t.ce.forward(t.dy, v), (4, 2)),
    "dense.weight-setter": (lambda t, v: setattr(t.dense, "weight", v), (2, 3)),
}


@pytest.mark.parametrize("bad", BAD_VALUES)
@pytest.mark.parametrize("site", TYPE_SITES)
def test_non_numeric_input_raises_type_error(site, bad, trained):
    call, shape = TYPE_SITES[site]
    value = BAD_VALUES[bad](shape)
    kept = value.copy() if isinstance(value, np.ndarray) else value
    with pytest.raises(TypeError, match=r"real numbers|integers"):
        call(trained, value)
    trained.assert_unchanged()
    if isinstance(value, np.ndarray):
        assert np.array_equal(value, kept)


def test_float_labels_that_are_not_whole_numbers(trained):
    for labels in ([0.5, 1, 1, 0], [np.nan, 1, 1, 0]):
        with pytest.raises(ValueError, match="whole"):
            trained.ce.forward(trained.dy, np.array(labels))
    trained.assert_unchanged()


def test_bool_labels_are_refused(trained):
    with pytest.raises(TypeError, match="integers"):
        trained.ce.forward(trained.dy, np.array([True, False, True, False]))
    trained.assert_unchanged()


# ---- more than 2-D, or a scalar: ValueError ----------------------------------------------------------

BAD_RANKS = {
    "3-d": lambda: np.zeros((2, 4, 3)),
    "4-d": lambda: np.zeros((1, 1, 4, 3)),
    "python-float": lambda: 3.0,
    "python-int": lambda: 3,
    "numpy-scalar": lambda: np.float64(3.0),
    "0-d-array": lambda: np.array(3.0),
}
RANK_SITES = {
    "dense.forward": lambda t, v: t.dense.forward(v),
    "dense.backward": lambda t, v: t.dense.backward(v),
    "tanh.forward": lambda t, v: t.tanh.forward(v),
    "model.forward": lambda t, v: t.model.forward(v),
    "model.predict": lambda t, v: t.model.predict(v),
    "model.backward": lambda t, v: t.model.backward(v),
    "mse.pred": lambda t, v: t.mse.forward(v, v),
    "bce.pred": lambda t, v: t.bce.forward(v, v),
    "ce.pred": lambda t, v: t.ce.forward(v, 0),
}


@pytest.mark.parametrize("bad", BAD_RANKS)
@pytest.mark.parametrize("site", RANK_SITES)
def test_scalar_or_more_than_2d_raises_value_error(site, bad, trained):
    value = BAD_RANKS[bad]()
    with pytest.raises(ValueError, match=r"1-D|2-D") as info:
        RANK_SITES[site](trained, value)
    assert str(np.shape(value)) in str(info.value)
    trained.assert_unchanged()


# ---- backward before forward: RuntimeError -----------------------------------------------------------

FRESH = {
    "dense": lambda: dn.Dense(3, 2, seed=0),
    "relu": dn.ReLU,
    "leaky_relu": dn.LeakyReLU,
    "sigmoid": dn.Sigmoid,
    "tanh": dn.Tanh,
    "softmax": dn.Softmax,
    "sequential": lambda: dn.Sequential(dn.Dense(3, 4, seed=0), dn.ReLU(), dn.Dense(4, 2, seed=1)),
}


@pytest.mark.parametrize("after_predict", [False, True], ids=["fresh", "after-predict"])
@pytest.mark.parametrize("name", FRESH)
def test_layer_backward_before_forward_raises_runtime_error(name, after_predict):
    layer = FRESH[name]()
    if after_predict:
        layer.predict(np.ones((4, 3)))
    params = [p.copy() for p in layer.parameters()]
    with pytest.raises(RuntimeError, match="before"):
        layer.backward(np.ones((4, 2 if name in ("dense", "sequential") else 3)))
    assert all(p.tobytes() == q.tobytes() for p, q in zip(layer.parameters(), params))
    assert all(not np.any(g) for g in layer.gradients())


@pytest.mark.parametrize("make", [dn.MSELoss, dn.BCEWithLogitsLoss, dn.SoftmaxCrossEntropyLoss])
def test_loss_backward_before_forward_raises_runtime_error(make):
    loss = make()
    with pytest.raises(RuntimeError, match="before"):
        loss.backward()
    with pytest.raises((ValueError, TypeError)):  # a failed forward does not count as one
        loss.forward(np.zeros((4, 3)), np.zeros((5, 7)))
    with pytest.raises(RuntimeError, match="before"):
        loss.backward()


# ---- labels out of range: ValueError ---------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [[0, 1, 1, 2], [0, -1, 1, 0], [0, 1, 1, 10**12], np.array([0, 1, 2**63 + 1, 0], dtype=np.uint64)],
    ids=["equal-to-classes", "negative", "huge", "uint64-above-int64"],
)
def test_labels_out_of_range_raise_value_error(labels, trained):
    with pytest.raises(ValueError, match="range"):
        trained.ce.forward(trained.dy, np.asarray(labels))  # 2 classes
    trained.assert_unchanged()
    fresh = dn.SoftmaxCrossEntropyLoss()
    with pytest.raises(ValueError, match="range"):
        fresh.forward(trained.dy, np.asarray(labels))
    with pytest.raises(RuntimeError):
        fresh.backward()


def test_scalar_label_out_of_range_for_one_sample():
    with pytest.raises(ValueError, match="range"):
        dn.SoftmaxCrossEntropyLoss().forward(np.zeros(3), 3)


# ---- learning rates ----------------------------------------------------------------------------------

STEPPERS = {
    "dense": lambda t: t.dense,
    "model": lambda t: t.model,
    "tanh": lambda t: t.tanh,
}


@pytest.mark.parametrize(
    "lr",
    ["0.1", None, 1j, [0.1], np.array([0.1]), True],
    ids=["str", "none", "complex", "list", "array", "bool"],
)
@pytest.mark.parametrize("who", STEPPERS)
def test_non_numeric_lr_raises_type_error(who, lr, trained):
    with pytest.raises(TypeError, match="lr"):
        STEPPERS[who](trained).step(lr)
    trained.assert_unchanged()


@pytest.mark.parametrize("lr", [-0.1, -1, -1e-30, np.float32(-2)])
@pytest.mark.parametrize("who", STEPPERS)
def test_negative_lr_raises_value_error(who, lr, trained):
    with pytest.raises(ValueError, match="learning rate"):
        STEPPERS[who](trained).step(lr)
    trained.assert_unchanged()


# ---- construction --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        ((0, 3), {}, ValueError, "in_features"),
        ((-1, 3), {}, ValueError, "in_features"),
        ((3, 0), {}, ValueError, "out_features"),
        ((3, -2), {}, ValueError, "out_features"),
        ((3, 2), {"init": "glorot"}, ValueError, "glorot"),
        ((3, 2), {"init": "HE"}, ValueError, "HE"),
        ((3, 2), {"init": ""}, ValueError, "init"),
        ((2.5, 3), {}, TypeError, "in_features"),
        (("3", 3), {}, TypeError, "in_features"),
        ((3, 2), {"dtype": np.int32}, TypeError, "dtype"),
        ((3, 2), {"dtype": "complex128"}, TypeError, "dtype"),
        ((3, 2), {"seed": -1}, ValueError, "seed"),
        ((3, 2), {"seed": 1.5}, TypeError, "seed"),
    ],
    ids=lambda v: repr(v) if not isinstance(v, type) else v.__name__,
)
def test_bad_dense_construction(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        dn.Dense(*args, **kwargs)


@pytest.mark.parametrize(
    ("n_in", "n_out"), [(2**40, 2**40), (2**62, 4), (4, 2**62), (2**63, 2), (2**70, 1)], ids=str
)
def test_impossibly_large_dense_raises_value_error(n_in, n_out):
    """Sizes whose product overflows are refused before any allocation, as a size error."""
    with pytest.raises(ValueError, match="large"):
        dn.Dense(n_in, n_out, init="zeros")


def test_sequential_refuses_objects_that_are_not_layers():
    with pytest.raises(TypeError):
        dn.Sequential(dn.Dense(3, 2), "relu")
