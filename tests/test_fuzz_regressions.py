"""What fuzzing the bindings found (tests/fuzz/fuzz_bindings.py) as plain tests, and the seed corpus replayed.

Each finding has a minimal reproduction here (one not fixed yet is a strict xfail naming the bug,
so that its fix shows as an XPASS). The inputs the fuzzer stopped on are replayed too: those of
tests/fuzz/regressions_bindings/ in this process, and those of regressions_bindings_native/
(found by a sanitizer; in a plain build they pass unnoticed) each in a child process, since
under the sanitizers' CI job they end the process.
"""

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import densenn as dn
from densenn import _core

FUZZ_DIR = Path(__file__).parent / "fuzz"


def _driver():
    spec = importlib.util.spec_from_file_location("bindings_driver", FUZZ_DIR / "bindings_driver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


driver = _driver()


# ---- the seed corpus and the fuzzer's inputs, through the harness's own one-input function -----------------


@pytest.mark.parametrize("path", sorted((FUZZ_DIR / "corpus_bindings").iterdir()), ids=lambda p: p.name)
def test_seed_corpus_passes_the_contract(path):
    trace = []
    driver.run_one(path.read_bytes(), trace)
    assert trace, "the input ran no operation"


def test_corpus_covers_every_operation():
    ops = set()
    for path in (FUZZ_DIR / "corpus_bindings").iterdir():
        trace = []
        driver.run_one(path.read_bytes(), trace)
        ops.update(trace)
    assert ops == {op.__name__ for op in driver.OPS}


@pytest.mark.parametrize("path", sorted((FUZZ_DIR / "regressions_bindings").glob("*")), ids=lambda p: p.name)
def test_fuzzer_input_passes_the_contract(path):
    driver.run_one(path.read_bytes())


@pytest.mark.parametrize(
    "path", sorted((FUZZ_DIR / "regressions_bindings_native").glob("*")), ids=lambda p: p.name
)
def test_fuzzer_input_found_by_a_sanitizer_passes_the_contract(path):
    # A child process: under the sanitizers' CI job it inherits the preloaded runtime and its options.
    replay = [sys.executable, str(FUZZ_DIR / "bindings_driver.py"), str(path)]
    result = subprocess.run(replay, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-3000:]


# ---- the contract checker itself ---------------------------------------------------------------------------


def test_the_checker_reports_a_half_changed_model():
    layer = dn.Dense(2, 2, seed=0)

    def half(x):
        layer.weight[0, 0] += 1.0
        raise ValueError("refused after changing the weights")

    with pytest.raises(driver.Finding, match="changed parameters"):
        driver.call("half", half, None, model=layer)


def test_the_checker_reports_an_unexpected_exception_and_a_missing_message():
    with pytest.raises(driver.Finding, match="ZeroDivisionError"):
        driver.call("div", lambda: 1 / 0)
    with pytest.raises(driver.Finding, match="without a message"):
        driver.call("silent", lambda: (_ for _ in ()).throw(ValueError()))
    assert driver.call("fine", lambda: (_ for _ in ()).throw(ValueError("bad input"))) is None
    assert driver.Outcome.raised


# ---- findings ----------------------------------------------------------------------------------------------


def _unaligned(n, dtype):
    """A C-contiguous, writable array of n values whose data is not aligned for its dtype."""
    dtype = np.dtype(dtype)
    buf = np.zeros(n * dtype.itemsize + dtype.itemsize, dtype=np.uint8)
    arr = buf[1 : 1 + n * dtype.itemsize].view(dtype)
    assert arr.flags.c_contiguous and arr.flags.writeable and not arr.flags.aligned
    return arr


@pytest.mark.parametrize("name", ["SGD_float64", "Adam_float32"])
def test_raw_optimizer_refuses_unaligned_buffers(name):
    # Never step() here: under the sanitizers that is the crash this test stands for.
    opt = getattr(_core, name)(
        *(
            [0.1, 0.0, 0.0, 0.0, False, False]
            if "SGD" in name
            else [0.1, 0.9, 0.99, 1e-8, 0.0, False, False, False]
        )
    )
    dtype = np.float64 if name.endswith("64") else np.float32
    aligned = np.zeros(4, dtype)
    with pytest.raises(ValueError, match="align"):
        opt.add(_unaligned(4, dtype), aligned)
    with pytest.raises(ValueError, match="align"):
        opt.add(aligned.copy(), _unaligned(4, dtype))
    assert len(opt) == 0


def _model():
    return dn.Sequential(dn.Dense(2, 3, seed=0), dn.ReLU(), dn.Dense(3, 2, seed=1))


def _unaligned_empty(shape, dtype):
    """An empty array over an odd byte offset: NumPy calls it aligned, and nothing in it is read."""
    raw = np.zeros(1, np.uint8)
    arr = np.frombuffer(raw.data, dtype=dtype, offset=1, count=0).reshape(shape)
    assert arr.ctypes.data % np.dtype(dtype).itemsize != 0 and arr.flags.aligned
    return arr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_arrays_at_an_odd_address_are_accepted(dtype):
    # Found by the property tests: the bindings refused them as unaligned, unlike a C-order empty array.
    empty = _unaligned_empty((0, 0), dtype)
    assert np.isnan(dn.MSELoss().forward(empty, _unaligned_empty((0, 0), dtype)))
    model = _model()
    np.testing.assert_array_equal(model.forward(_unaligned_empty((0, 2), dtype)), np.zeros((0, 2)))
    assert model.backward(_unaligned_empty((0, 2), dtype)).shape == (0, 2)


def test_save_refuses_a_path_with_a_nul_byte(tmp_path):
    with pytest.raises(ValueError, match="null"):
        _model().save(str(tmp_path / "model.safetensors\0.bak"))
    assert not (tmp_path / "model.safetensors").exists()


def test_core_file_functions_refuse_a_path_with_a_nul_byte(tmp_path):
    path = tmp_path / "model.safetensors"
    _model().save(path)
    for fn in (_core.read_safetensors, _core.load_model):
        with pytest.raises(ValueError, match="null"):
            fn(str(path) + "\0ignored")
    with pytest.raises(ValueError, match="null"):
        _core.save_model([_core.ReLU_float32()], str(tmp_path / "other") + "\0ignored")
    assert not (tmp_path / "other").exists()


def test_load_refuses_a_path_with_a_nul_byte(tmp_path):
    path = tmp_path / "model.safetensors"
    _model().save(path)
    with pytest.raises((ValueError, FileNotFoundError)):
        dn.load(str(path) + "\0ignored")


@pytest.mark.parametrize("eps", [0.0, -1e-6, math.nan, math.inf])
def test_gradcheck_refuses_an_eps_that_is_not_positive_and_finite(eps):
    model = _model()
    with pytest.raises(ValueError, match="eps"):
        dn.gradcheck(model, np.ones((2, 2)), np.zeros((2, 2)), dn.MSELoss(), eps=eps)


@pytest.mark.parametrize("monitor", ["val_loss", "accuracy", "lss"])
def test_fit_refuses_an_unlogged_monitor_before_training(monitor):
    model = _model()
    before = model.state_dict()
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match=monitor):
        model.fit(x, y, loss="mse", epochs=2, progress=False, callbacks=[dn.EarlyStopping(monitor)])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_fit_accepts_a_logged_monitor():
    model = _model()
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 2), np.float32)
    stop = dn.EarlyStopping("val_loss", patience=5)
    history = model.fit(x, y, loss="mse", epochs=2, progress=False, validation_split=0.5, callbacks=[stop])
    assert len(history["val_loss"]) == 2 and stop.best_epoch is not None


class _Identity:
    """A user-defined layer: the model then runs its layers from Python, one call each."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


@pytest.mark.parametrize("python_loop", [False, True], ids=["one-call", "python-loop"])
@pytest.mark.parametrize("direct_batch", [1, 5])
def test_failed_backward_leaves_every_gradient_unchanged(direct_batch, python_loop):
    model = dn.Sequential(*_model(), *([_Identity()] if python_loop else []))
    model.forward(np.ones((3, 2), np.float32))
    model[0].forward(np.ones((direct_batch, 2), np.float32))  # the first layer's training input replaced
    before = [g.copy() for g in model.gradients()]
    with pytest.raises(RuntimeError, match="training forward since"):  # why, not "shapes differ"
        model.backward(np.ones((3, 2), np.float32))
    for g, old in zip(model.gradients(), before):
        np.testing.assert_array_equal(g, old)


@pytest.mark.parametrize(
    "make",
    [
        lambda d, act: (d, act, d),
        lambda d, act: (d, dn.Sequential(dn.Tanh(), d)),
        lambda d, act: (dn.Sequential(d, act), dn.Sequential(dn.Dense(2, 2, dtype=np.float64), act)),
    ],
    ids=["dense-twice", "nested-dense", "activation-in-two-nested"],
)
def test_a_layer_used_twice_in_one_model_is_refused(make):
    # A layer keeps one cached input and one set of gradients: used twice it would backpropagate
    # wrong gradients without an error. A repeated activation runs as a copy per position
    # (tests/test_repeated_activations.py), but two nested Sequentials would both run it itself.
    d, act = dn.Dense(2, 2, seed=0, dtype=np.float64), dn.Tanh()
    with pytest.raises(ValueError, match="same object as layer"):
        dn.Sequential(*make(d, act))
    with pytest.raises(ValueError, match="cannot appear twice"):
        raw_dense, raw_tanh = d._impl_for(np.float64), act._impl_for(np.float64)
        _core.Sequential_float64([raw_dense, raw_tanh, raw_dense])


def test_models_may_share_a_layer():
    d = dn.Dense(2, 2, seed=0)
    first, second = dn.Sequential(d, dn.Tanh()), dn.Sequential(dn.Dense(2, 2), d)
    assert first[0] is second[1]
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(first.predict(x), np.tanh(d.predict(x)))


class _WrongWidthGradient(_Identity):
    """A user-defined layer whose backward returns a gradient of the wrong width."""

    def backward(self, grad):
        return grad[:, :1]


def test_a_user_layer_failing_in_backward_leaves_every_gradient_unchanged():
    # The Dense after the faulty layer has already overwritten its gradients when the one before
    # it refuses the wrong width: they are put back.
    model = dn.Sequential(dn.Dense(3, 4, seed=0), _WrongWidthGradient(), dn.Dense(4, 2, seed=1))
    model.forward(np.ones((2, 3), np.float32))
    for g in model.gradients():
        g[...] = 7.0
    with pytest.raises(ValueError):
        model.backward(np.full((2, 2), 0.5, np.float32))
    for g in model.gradients():
        np.testing.assert_array_equal(g, 7.0)


@pytest.mark.parametrize("same_batch", [True, False])
def test_a_layer_backward_after_a_models_forward_through_it_raises(same_batch):
    # The layer's cache then holds the model's input: its own backward would use it silently.
    layer = dn.Dense(4, 3, seed=0)
    model = dn.Sequential(layer)
    layer.forward(np.ones((5, 4), np.float32))
    model.forward(np.full((5 if same_batch else 2, 4), 2.0, np.float32))
    before = [g.copy() for g in layer.gradients()]
    with pytest.raises(RuntimeError, match="since its own forward"):
        layer.backward(np.ones((5, 3), np.float32))
    for g, old in zip(layer.gradients(), before):
        np.testing.assert_array_equal(g, old)
    layer.forward(np.ones((5, 4), np.float32))  # its own forward again: backward works
    layer.backward(np.ones((5, 3), np.float32))
    np.testing.assert_array_equal(layer.grad_weight, np.full((3, 4), 5.0))
