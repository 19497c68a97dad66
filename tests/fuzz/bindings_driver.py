"""One fuzz input through densenn's Python API and its _core bindings, for the atheris harness and pytest.

``run_one(data)`` decodes the bytes into a small world (a model, raw _core layers and networks,
losses, optimizers) and a sequence of calls on it with inputs of every kind: arrays of any dtype,
shape and memory layout, NaN and infinities, scalars, nested lists, None, files of fuzzed bytes.
The contract under test, for every call: it returns, or raises one of ``ALLOWED`` with a message;
and a call that raises leaves every parameter and gradient of the model it was made on bitwise
as it was. Anything else raises ``Finding``. Crashes, sanitizer reports and hangs are caught by
the process running this (atheris, or pytest under the sanitizers' CI job).

The bytes are decoded by ``Source`` below rather than atheris.FuzzedDataProvider, so that an input
found by the fuzzer replays identically without atheris (tests/test_fuzz_regressions.py).
"""

from __future__ import annotations

import atexit
import fnmatch
import math
import os
import shutil
import struct
import sys
import tempfile
import warnings

import numpy as np

import densenn as dn
from densenn import _core

ALLOWED = (ValueError, TypeError, RuntimeError, OSError, MemoryError, IndexError, OverflowError)

# Layer sizes that must be refused before anything is allocated: not positive, or so large that
# even one of them with a size of 1 to 6 overflows what a buffer can hold (2**61 floats). Sizes that
# fit in ptrdiff_t but not in memory are left out: they end in an allocation failure, which the
# sanitizers report as a crash (ASan cannot make operator new throw) and which would fill memory
# where overcommit lets the allocation succeed.
HUGE = [0, -1, -(2**31), 2**61, 2**62, 2**63 - 1, 2**63, 2**64, 2**100, -(2**63)]
HUGE_PAIRS = [(2**31, 2**31), (2**32 + 1, 2**32), (2**40, 2**40), (3, 2**61), (2**61, 2**61)]
# Declared sizes of broadcast views: a copy would need at least 2**40 bytes, which fails at once.
HUGE_VIEW = [2**40, 2**50, 2**62 // 8]
# Under ASan, that failure is NumPy's MemoryError only with allocator_may_return_null=1 (the
# fuzzer's setting); otherwise ASan ends the process, so such views are then left out (as when
# pytest runs under the sanitizers' CI job).
HUGE_VIEWS_FAIL_CLEANLY = "asan" not in os.environ.get("LD_PRELOAD", "") or (
    "allocator_may_return_null=1" in os.environ.get("ASAN_OPTIONS", "")
)

SPECIAL = [
    0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-8, 100.0, -100.0, 88.8, 89.5, 710.0, -710.0,
    math.nan, -math.nan, math.inf, -math.inf, 1e-45, 1e-310, 3.4e38, 3.5e38, 1e308, -1e308,
]  # fmt: skip

DTYPES = [
    np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64, np.float16, np.float32,
    np.float64, np.longdouble, np.complex64, np.complex128, object, np.str_, np.bytes_,
    "datetime64[ns]", "timedelta64[s]",
]  # fmt: skip


# Files the calls write and read; emptied before each input, removed at exit.
_TMPDIR = tempfile.mkdtemp(prefix="densenn-fuzz-")


def _cleanup() -> None:
    shutil.rmtree(_TMPDIR, ignore_errors=True)
    if KNOWN_HITS:
        print(f"known findings hit: {KNOWN_HITS}", file=sys.stderr)


atexit.register(_cleanup)


class Finding(AssertionError):
    """A call broke the contract: a wrong exception type, no message, or a half-changed model.

    ``key`` names the kind of break and the call ("half-changed:Sequential.fit", ...).
    """

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


# Findings already reported, as fnmatch patterns of their keys (comma-separated in the environment
# variable DENSENN_FUZZ_KNOWN): counted in KNOWN_HITS instead of stopping the fuzzer, so that a long
# run can look past them for new ones.
KNOWN = [k for k in os.environ.get("DENSENN_FUZZ_KNOWN", "").split(",") if k]
KNOWN_HITS: dict[str, int] = {}
_KNOWN_LOG = os.environ.get("DENSENN_FUZZ_KNOWN_LOG")  # a file that gets one line per known hit


def is_known(key: str) -> bool:
    """Whether `key` is a known finding (and if so, counts the hit).

    Native findings (a sanitizer report ends the process) are avoided before the call, by keys
    "native:..." checked at the place that would crash.
    """
    if not any(fnmatch.fnmatchcase(key, pattern) for pattern in KNOWN):
        return False
    KNOWN_HITS[key] = KNOWN_HITS.get(key, 0) + 1
    if _KNOWN_LOG:
        with open(_KNOWN_LOG, "a") as f:
            f.write(key + "\n")
    return True


def report(key: str, message: str, cause: BaseException | None = None) -> None:
    """Raises Finding(key, message) unless the key is a known finding."""
    if not is_known(key):
        raise Finding(key, message) from cause


class Source:
    """The fuzz input as a stream of choices; once exhausted, every choice is the first option."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    @property
    def exhausted(self) -> bool:
        return self.pos >= len(self.data)

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int_in(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi], from as many bytes as the range needs."""
        span = hi - lo
        if span <= 0:
            return lo
        value, scale = 0, 1
        while scale <= span:
            value, scale = value * 256 + self.byte(), scale * 256
        return lo + value % (span + 1)

    def chance(self, percent: int) -> bool:
        return self.byte() * 100 < percent * 256

    def pick(self, options):
        return options[self.int_in(0, len(options) - 1)]

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def real(self) -> float:
        mode = self.int_in(0, 3)
        if mode == 0:
            return self.pick(SPECIAL)
        if mode == 1:
            return float(self.int_in(-4, 8)) / 4
        if mode == 2:
            return struct.unpack("<d", self.take(8).ljust(8, b"\0"))[0]
        return float(self.int_in(0, 1000)) / 1000


# ---- values ------------------------------------------------------------------------------------------------


def _fill(src: Source, shape, dtype) -> np.ndarray:
    """An array of `shape` and `dtype` whose values come from the input (specials, raw bits, small)."""
    n = int(np.prod(shape))
    dt = np.dtype(dtype)
    mode = src.int_in(0, 3)
    if dt.kind in "OSU":
        pool = [1.5, "x", b"y", None, 3, [1, 2], math.nan, "1.0"]
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = src.pick(pool)
        return (
            out.astype(dt, copy=False).reshape(shape)
            if dt.kind == "O"
            else np.array([str(v) if dt.kind == "U" else str(v).encode() for v in out], dtype=dt).reshape(
                shape
            )
        )
    if mode == 0 and dt.kind in "fc":
        values = [src.pick(SPECIAL) for _ in range(n)]
        with np.errstate(all="ignore"):
            return np.array(values, dtype=np.float64).astype(dt).reshape(shape)
    if mode == 1 and dt.kind not in "Mm":
        raw = src.take(n * dt.itemsize).ljust(n * dt.itemsize, b"\x3f")
        return np.frombuffer(raw, dtype=dt).copy().reshape(shape)
    values = [src.int_in(-8, 8) / (1 if dt.kind in "biuMm" else 4) for _ in range(n)]
    with np.errstate(all="ignore"):
        if dt.kind in "Mm":
            return np.array(values, dtype=np.int64).astype(dt).reshape(shape)
        return np.array(values).astype(dt).reshape(shape)


def _layout(src: Source, arr: np.ndarray):
    """The same values in another memory layout (or a view with a huge declared size)."""
    mode = src.int_in(0, 9)
    if mode == 1:
        return np.asfortranarray(arr)
    if mode == 2 and arr.ndim >= 1:  # every other element of a twice-as-wide array
        wide = np.empty(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        wide[..., ::2] = arr
        return wide[..., ::2]
    if mode == 3 and arr.ndim >= 1:  # negative strides
        flipped = np.ascontiguousarray(arr[::-1])
        return flipped[::-1]
    if mode == 4:
        arr = arr.copy()
        arr.setflags(write=False)
        return arr
    if mode == 5 and arr.dtype.kind not in "OUS" and arr.dtype.itemsize > 1:  # unaligned
        buf = np.empty(arr.nbytes + arr.dtype.itemsize, dtype=np.uint8)
        offset = src.int_in(1, arr.dtype.itemsize - 1)
        view = buf[offset : offset + arr.nbytes].view(arr.dtype).reshape(arr.shape)
        view[...] = arr
        return view
    if mode == 6 and arr.ndim >= 1 and arr.size:  # a zero-stride broadcast of the first row
        return np.broadcast_to(arr[:1], arr.shape)
    if mode == 7 and arr.size:  # a huge declared size over a few bytes
        big = src.pick(HUGE_VIEW)
        shape = src.pick([(big,), (big, 1), (1, big), (big, arr.shape[-1] if arr.ndim else 1), (2, big, 1)])
        if not HUGE_VIEWS_FAIL_CLEANLY:
            return arr
        try:
            return np.broadcast_to(arr.reshape(-1)[:1].reshape((1,) * len(shape)), shape)
        except ValueError:  # more bytes than NumPy can address: the plain array instead
            return arr
    if mode == 8:
        return arr.T
    if mode == 9:
        return arr.view(_Sub)
    return arr


class _Sub(np.ndarray):
    """An ndarray subclass: ``type(x) is np.ndarray`` fast paths must not be the only ones."""


def array(src: Source, shape=None, dtype=None) -> np.ndarray:
    """An array, usually of `shape` and `dtype` when given, else of any shape and dtype."""
    if shape is None or src.chance(20):
        ndim = src.pick([0, 1, 2, 2, 2, 3, 4])
        shape = tuple(src.int_in(0, 6) for _ in range(ndim))
    elif src.chance(10):  # one dimension off by a little
        shape = list(shape)
        if shape:
            k = src.int_in(0, len(shape) - 1)
            shape[k] = max(0, shape[k] + src.pick([-1, 1, 2]))
        shape = tuple(shape)
    if dtype is None or src.chance(20):
        dtype = src.pick(DTYPES)
    return _layout(src, _fill(src, shape, dtype))


def value(src: Source, shape=None, dtype=None):
    """Anything a user might pass where an array is expected."""
    kind = src.int_in(0, 15)
    if kind <= 9:
        return array(src, shape, dtype)
    if kind == 10:
        arr = array(src, shape, dtype)
        return arr.tolist() if arr.size < 1000 and src.chance(90) else [[1.0, 2.0], [3.0]]  # ragged
    if kind == 11:
        return src.pick([None, True, 3, -1, 2.5, math.nan, math.inf, 1j, 2**100, "abc", b"\x00", (), [], {}])
    if kind == 12:
        return np.float32(src.real()) if src.chance(50) else np.int64(src.int_in(-3, 3))
    if kind == 13:
        return [array(src, shape, dtype), array(src, shape, dtype)]
    if kind == 14:
        return object()
    return src.real()


def number(src: Source):
    """A learning rate, slope or setting: usually a sensible float, sometimes anything."""
    kind = src.int_in(0, 7)
    if kind <= 3:
        return src.real()
    if kind == 4:
        return src.pick([0, 1, -1, True, None, "0.1", 2**1000, np.float32(0.5), np.float64(math.nan)])
    if kind == 5:
        return np.array(src.real()) if src.chance(50) else np.array([0.1, 0.2])
    if kind == 6:
        return complex(src.real(), 1.0)
    return src.int_in(-2, 3)


def sizes(src: Source) -> tuple:
    """(in_features, out_features): small, or sizes that must be refused, or not integers at all."""
    if src.chance(5):
        return src.pick(HUGE_PAIRS)

    def one():
        kind = src.int_in(0, 9)
        if kind <= 6:
            return src.int_in(1, 6)
        if kind == 7:
            return src.pick(HUGE)
        if kind == 8:
            return src.pick([2.0, "3", None, True, np.int8(3), np.uint64(2**63), math.nan])
        return src.int_in(-3, 0)

    return one(), one()


# ---- the contract ------------------------------------------------------------------------------------------


def snapshot(arrays) -> list[bytes]:
    return [None if a is None else np.asarray(a).tobytes() for a in arrays]


def state_of(obj) -> list:
    """Every parameter and gradient array `obj` (a model, layer, raw _core object or list) holds."""
    if obj is None:
        return []
    if isinstance(obj, (list, tuple)):
        return [a for o in obj for a in state_of(o)]
    if isinstance(obj, (dn.Sequential, dn.Layer)):
        return obj.parameters() + obj.gradients()
    if isinstance(obj, (_core.Dense_float32, _core.Dense_float64)):
        return [obj.weight, obj.grad_weight, obj.bias, obj.grad_bias]
    if isinstance(obj, dn.Optimizer):
        return [p for g in obj.param_groups for p in g["params"]]
    return []


class Outcome:
    """Whether the last call() raised (its result alone cannot tell: many calls return None)."""

    raised = False


def call(what: str, fn, *args, model=None, mutates: bool = True, **kwargs):
    """fn(*args, **kwargs) under the contract; the result, or None when it raised as allowed.

    `model` holds the parameters the call may touch; with mutates=False they must not change at
    all, else only when the call raises.
    """
    arrays = state_of(model)
    before = snapshot(arrays)
    Outcome.raised = False
    try:
        result = fn(*args, **kwargs)
    except ALLOWED as e:
        if not str(e).strip():
            report(f"no-message:{what}", f"{what}: {type(e).__name__} without a message", e)
        if snapshot(arrays) != before:
            message = f"{what} raised {type(e).__name__}({e}) but changed parameters or gradients"
            report(f"half-changed:{what}", message, e)
        Outcome.raised = True
        return None
    except Finding:
        raise
    except Exception as e:
        report(f"exception:{what}:{type(e).__name__}", f"{what} raised {type(e).__name__}: {e}", e)
        Outcome.raised = True
        return None
    if not mutates and snapshot(arrays) != before:
        report(f"changed:{what}", f"{what} returned but changed parameters or gradients it must not touch")
    return result


def call_path(what: str, fn, path, *args, **kwargs):
    """call() for a function taking a path: one with a NUL character must be refused, as open() does."""
    result = call(what, fn, path, *args, **kwargs)
    nul = "\0" if isinstance(path, str) else b"\0"
    if isinstance(path, (str, bytes)) and nul in path and not Outcome.raised:
        message = f"{what}({path!r}) did not refuse a path with a NUL character (it used the part before it)"
        report(f"nul-path:{what}", message)
    return result


# ---- the world a sequence of calls works on ----------------------------------------------------------------

ACTIVATIONS = [dn.ReLU, dn.Sigmoid, dn.Tanh, dn.Softmax, dn.LeakyReLU]
LOSSES = [dn.MSELoss, dn.BCEWithLogitsLoss, dn.SoftmaxCrossEntropyLoss]


class World:
    """Objects built from the input's first bytes, which the calls then use and reuse."""

    def __init__(self, src: Source):
        self.dtype = src.pick([np.float32, np.float64])
        widths = [src.int_in(1, 5) for _ in range(src.int_in(1, 3) + 1)]
        layers = []
        for i in range(len(widths) - 1):
            layers.append(dn.Dense(widths[i], widths[i + 1], dtype=self.dtype, seed=src.int_in(0, 3)))
            if src.chance(60):
                cls = src.pick(ACTIVATIONS)
                layers.append(cls(src.real()) if cls is dn.LeakyReLU and src.chance(50) else cls())
        if src.chance(10):  # one layer object twice: refused, since it would get wrong gradients
            try:
                dn.Sequential(*layers, layers[0])
            except ValueError:
                pass
            else:
                raise Finding("accepted:Sequential-layer-twice", "Sequential took one layer object twice")
        self.model = dn.Sequential(*layers)
        self.width_in, self.width_out = widths[0], widths[-1]
        self.batch = src.int_in(0, 4)
        self.loss = src.pick(LOSSES)()
        self.optimizer = None
        self.suffix = "float32" if self.dtype == np.float32 else "float64"
        # raw _core objects: a network over layers that the Python model shares, and some of its own
        self.raw_layers = [layer._impl_for(self.dtype) for layer in layers]
        self.raw_dense = [
            obj for obj in self.raw_layers if isinstance(obj, (_core.Dense_float32, _core.Dense_float64))
        ]
        self.raw_net = getattr(_core, "Sequential_" + self.suffix)(self.raw_layers)
        self.raw_opt = None


def x_for(world: World, src: Source, width=None):
    """An input for the model (or for a layer of `width` inputs): mostly the model's batch size."""
    width = width or world.width_in
    kind = src.int_in(0, 19)
    shape = (width,) if kind < 3 else (src.int_in(0, 5), width) if kind < 6 else (world.batch, width)
    return value(src, shape, world.dtype if src.chance(70) else None)


def target_for(world: World, src: Source, loss=None):
    loss = loss or world.loss
    if isinstance(loss, dn.SoftmaxCrossEntropyLoss) and src.chance(50):
        labels = [src.int_in(-1, world.width_out) for _ in range(world.batch)]
        if src.chance(5):
            labels = [src.pick([2**63 - 1, -(2**63), 2**64 - 1, 2**31]) for _ in range(world.batch)]
        dtype = src.pick([np.int64, np.int32, np.uint8, np.float64, np.uint64])
        try:
            labels = np.array(labels, dtype=dtype)
        except OverflowError:  # a label the dtype cannot hold: Python ints in an object array
            labels = np.array(labels, dtype=object)
        return _layout(src, labels)
    return value(src, (world.batch, world.width_out), world.dtype if src.chance(70) else None)


# ---- the calls ---------------------------------------------------------------------------------------------


def op_dense_ctor(w: World, src: Source):
    kwargs = {}
    if src.chance(60):
        kwargs["dtype"] = src.pick(
            [np.float32, np.float64, "float64", float, np.float16, "int8", None, "nope", 3]
        )
    if src.chance(50):
        kwargs["init"] = src.pick(["he", "xavier", "zeros", "HE", "", None, 1, "he\0"])
    if src.chance(50):
        kwargs["seed"] = src.pick(
            [None, 0, 1, -1, 2**64 - 1, 2**64, 1.5, True, "1", np.uint64(7), np.int8(-1)]
        )
    if src.chance(50):
        kwargs["bias"] = src.pick([True, False, 0, 1, None, "yes", np.bool_(False)])
    layer = call("Dense()", dn.Dense, *sizes(src), **kwargs)
    if isinstance(layer, dn.Dense):
        x = value(src, (src.int_in(0, 3), layer.in_features), src.pick([None, layer.dtype]))
        call("Dense.forward", layer.forward, x, model=layer, mutates=False)


def op_layer(w: World, src: Source):
    layer = src.pick(list(w.model))
    what = type(layer).__name__
    kind = src.int_in(0, 5)
    if kind == 0:
        x = x_for(w, src, getattr(layer, "in_features", None))
        call(f"{what}.forward", layer.forward, x, model=w.model, mutates=False)
    elif kind == 1:
        x = x_for(w, src, getattr(layer, "in_features", None))
        call(f"{what}.predict", layer.predict, x, model=w.model, mutates=False)
    elif kind == 2:
        shape = (w.batch, getattr(layer, "out_features", w.width_out))
        call(f"{what}.backward", layer.backward, value(src, shape, w.dtype), model=w.model)
    elif kind == 3:
        call(f"{what}.step", layer.step, number(src), model=w.model)
    elif kind == 4 and isinstance(layer, dn.Dense):
        name = src.pick(["weight", "bias"])
        target = getattr(layer, name)
        shape = target.shape if target is not None else (layer.out_features,)
        call(f"Dense.{name} =", setattr, layer, name, value(src, shape, w.dtype), model=None)
    elif kind == 5:
        cls = src.pick(ACTIVATIONS)
        act = call(f"{cls.__name__}()", cls, number(src)) if cls is dn.LeakyReLU else cls()
        if act is not None:
            out = call(f"{cls.__name__}.forward", act.forward, value(src, (w.batch, 3)))
            if out is not None:
                call(f"{cls.__name__}.backward", act.backward, value(src, np.shape(out), out.dtype))


def op_model(w: World, src: Source):
    kind = src.int_in(0, 6)
    m = w.model
    if kind <= 1:
        x = x_for(w, src)
        if kind == 0:
            out = call("Sequential.forward", m.forward, x, model=m, mutates=False)
        else:
            batch_size = src.pick([None, None, 1, 2, 0, -1, 2.5, True])
            out = call("Sequential.predict", m.predict, x, batch_size=batch_size, model=m, mutates=False)
        if out is not None:  # a result must have the input's batch shape and the model's width and dtype
            expected = np.shape(x)[:-1] + (w.width_out,)
            if not isinstance(out, np.ndarray) or out.shape != expected or out.dtype != w.dtype:
                got = (type(out).__name__, np.shape(out), getattr(out, "dtype", None))
                report(
                    f"result:Sequential.{'forward' if kind == 0 else 'predict'}",
                    f"expected {expected}, got {got}",
                )
    elif kind == 2:
        grad = value(src, (w.batch, w.width_out), w.dtype)
        call("Sequential.backward", m.backward, grad, model=m)
    elif kind == 3:
        call("Sequential.step", m.step, number(src), model=m)
    elif kind == 4:
        loss = src.pick(LOSSES)() if src.chance(20) else w.loss
        call(
            "Sequential.train_step",
            m.train_step,
            x_for(w, src),
            target_for(w, src, loss),
            loss,
            number(src),
            model=m,
        )
    elif kind == 5:
        state = m.state_dict()
        keys = list(state)
        if keys and src.chance(70):
            key = src.pick(keys)
            state[key] = value(src, state[key].shape, src.pick([w.dtype, None]))
        if src.chance(20):
            state[src.pick(["extra", "0.weight", "1.bias"])] = value(src)
        if keys and src.chance(15):
            del state[src.pick(keys)]
        arg = state if src.chance(90) else src.pick([None, [], list(state.items()), "0.weight"])
        call("Sequential.load_state_dict", m.load_state_dict, arg, model=m)
    else:
        layers = [
            src.pick(list(m) + [dn.ReLU(), dn.Dense(2, 2, seed=0), dn.Dense(2, 2, dtype=np.float64)])
            for _ in range(src.int_in(0, 3))
        ]
        if src.chance(10):
            layers.append(src.pick([object(), None, 3, _core.ReLU_float32()]))
        net = call("Sequential()", dn.Sequential, *layers)
        if net is not None:
            call("Sequential.forward", net.forward, value(src, (2, 2)), model=net, mutates=False)


def op_loss(w: World, src: Source):
    loss = src.pick(LOSSES)() if src.chance(50) else w.loss
    name = type(loss).__name__
    if src.chance(80):
        pred = value(src, (w.batch, w.width_out), src.pick([w.dtype, None, np.float16]))
        result = call(f"{name}.forward", loss.forward, pred, target_for(w, src, loss))
        if not Outcome.raised and type(result) is not float:
            report(f"result:{name}.forward", f"{name}.forward returned {type(result).__name__}, not a float")
    grad = call(f"{name}.backward", loss.backward)
    if grad is not None and src.chance(30):
        call("Sequential.backward", w.model.backward, grad, model=w.model)


def op_optimizer(w: World, src: Source):
    kind = src.int_in(0, 5)
    if kind <= 1 or w.optimizer is None:
        params = w.model.parameters()
        choice = src.int_in(0, 7)
        if choice == 1 and params:
            params = [p.copy() for p in params]
        elif choice == 2 and params:
            params = params + [params[0]]
        elif choice == 3:
            params = [
                {"params": params[: len(params) // 2], "lr": number(src)},
                {"params": params[len(params) // 2 :]},
            ]
        elif choice == 4:
            params = src.pick([[], None, params[0] if params else 3, {"params": params}, iter(params), [1.0]])
        elif choice == 5 and params:
            params = [params[0][..., :1], params[0].reshape(-1)]
        cls = src.pick([dn.SGD, dn.Adam, dn.AdamW])
        kwargs = {"lr": number(src)} if src.chance(70) else {}
        if cls is dn.SGD:
            for k in ("momentum", "dampening", "weight_decay"):
                if src.chance(40):
                    kwargs[k] = number(src)
            if src.chance(40):
                kwargs["nesterov"] = src.pick([True, False, 1, None, np.bool_(True)])
        else:
            if src.chance(40):
                kwargs["betas"] = src.pick(
                    [(number(src), number(src)), (0.9,), "ab", None, [0.5, 0.5], np.array([0.9, 0.99])]
                )
            for k in ("eps", "weight_decay"):
                if src.chance(40):
                    kwargs[k] = number(src)
            if src.chance(40):
                kwargs["amsgrad"] = src.pick([True, False, 1, None])
        opt = call(f"{cls.__name__}()", cls, params, model=w.model, mutates=False, **kwargs)
        if opt is not None:
            w.optimizer = opt
        return
    opt = w.optimizer
    if kind == 2:
        group = src.pick(opt.param_groups)
        key = src.pick(["lr", "momentum", "betas", "eps", "weight_decay", "nesterov", "amsgrad", "dampening"])
        if key in group:
            group[key] = number(src) if key != "betas" else (number(src), number(src))
        call("Optimizer.step", opt.step, model=w.model)
    elif kind == 3:
        call("Optimizer.step", opt.step, model=w.model)
    elif kind == 4:
        state = opt.state_dict()
        if state["state"] and src.chance(60):
            entry = src.pick(list(state["state"].values()))
            key = src.pick(list(entry) + ["exp_avg", "momentum_buffer"])
            entry[key] = value(src, np.shape(entry.get(key, ())), w.dtype) if key != "step" else number(src)
        if src.chance(30):
            state["param_groups"][0]["lr"] = number(src)
        if src.chance(10):
            state = src.pick(
                [{}, None, {"state": [], "param_groups": []}, {"state": {}, "param_groups": [{}]}]
            )
        before = snapshot([b for impl, k in opt._slots for b in _buffers(impl, k)])
        groups_before = [dict(g) for g in opt.param_groups]
        call("Optimizer.load_state_dict", opt.load_state_dict, state, model=w.model)
        if Outcome.raised:
            after = snapshot([b for impl, k in opt._slots for b in _buffers(impl, k)])
            if (
                after != before
                or len(groups_before) != len(opt.param_groups)
                or any(
                    a.keys() != b.keys() or any(a[k] is not b[k] for k in a)
                    for a, b in zip(groups_before, opt.param_groups)
                )
            ):
                message = "Optimizer.load_state_dict raised but changed the optimizer's state or settings"
                report("half-changed:Optimizer.load_state_dict state", message)
    else:
        call("Optimizer.zero_grad", opt.zero_grad)


def _buffers(impl, k):
    return [impl.buffer(k, b) for b in range(len(impl.buffer_names))] + [np.array(impl.steps(k))]


def op_threads(w: World, src: Source):
    n = src.pick([1, 2, 0, -1, 3, 2**31, 2**63, 1.5, "2", None, True, np.int32(2)])
    call("set_num_threads", dn.set_num_threads, n)
    if src.chance(50):
        call("_core.set_num_threads", _core.set_num_threads, n)
    x = value(src, (w.batch, w.width_in), w.dtype)
    call("Sequential.predict", w.model.predict, x, model=w.model, mutates=False)


def op_gradcheck(w: World, src: Source):
    x = x_for(w, src)
    call(
        "gradcheck",
        dn.gradcheck,
        w.model,
        x,
        target_for(w, src),
        w.loss,
        eps=src.pick([1e-6, 1e-3, 0.0, math.nan]),
        model=w.model,
        mutates=False,
    )


def op_fit(w: World, src: Source):
    n = src.int_in(0, 5)
    x = value(src, (n, w.width_in), w.dtype if src.chance(70) else None)
    loss = src.pick(["mse", "cross_entropy", "bce_with_logits", w.loss, dn.MSELoss, "nope", None])
    if loss == "cross_entropy" and src.chance(50):
        y = np.array([src.int_in(-1, w.width_out) for _ in range(n)], dtype=src.pick([np.int64, np.float32]))
    else:
        y = value(src, (n, w.width_out), w.dtype)
    kwargs = dict(
        loss=loss,
        epochs=src.pick([1, 2, 0, -1, 1.5]),
        batch_size=src.pick([1, 2, 32, 0, None]),
        validation_split=src.pick([0.0, 0.0, 0.5, 0.99, 1.0, -0.1, math.nan]),
        progress=False,
        shuffle=src.chance(50),
        seed=src.pick([None, 0, -1, "s"]),
    )
    if src.chance(30):
        kwargs["optimizer"] = src.pick(["sgd", "adam", "adamw", "rmsprop", w.optimizer])
    if src.chance(30):
        kwargs["lr"] = number(src)
    if src.chance(30):
        kwargs["callbacks"] = [
            dn.EarlyStopping(
                src.pick(["val_loss", "loss", "accuracy"]),
                patience=src.int_in(0, 2),
                restore_best_weights=src.chance(50),
            )
        ]
    if src.chance(20):
        kwargs["validation_data"] = (
            value(src, (2, w.width_in), w.dtype),
            value(src, (2, w.width_out), w.dtype),
        )
    call("Sequential.fit", w.model.fit, x, y, model=w.model, **kwargs)
    if src.chance(50):
        call("Sequential.evaluate", w.model.evaluate, x, y, loss, model=w.model, mutates=False)


def _tmp(name: str) -> str:
    return os.path.join(_TMPDIR, name)


def op_files(w: World, src: Source):
    kind = src.int_in(0, 4)
    path = _tmp("model.safetensors")
    if kind == 0:  # fuzzed bytes, or a valid file with fuzzed changes
        data = src.take(src.int_in(0, 600))
        if src.chance(50) and w.model._core is not None:
            call("Sequential.save", w.model.save, path, model=w.model, mutates=False)
            if not Outcome.raised:
                with open(path, "rb") as f:
                    raw = bytearray(f.read())
                for _ in range(src.int_in(0, 4)):
                    raw[src.int_in(0, len(raw) - 1)] = src.byte()
                data = bytes(raw[: src.int_in(0, len(raw))] if src.chance(20) else raw)
        with open(path, "wb") as f:
            f.write(data)
        model = call("dn.load", dn.load, path, verify=src.pick([True, False, 1, None]))
        if model is not None:
            x = value(src, (2, model.in_features or 2), w.dtype)
            call("loaded.predict", model.predict, x, model=model, mutates=False)
            if src.chance(50):
                call("loaded.save", model.save, _tmp("again.safetensors"), model=model, mutates=False)
        if src.chance(50):
            call("_core.read_safetensors", _core.read_safetensors, path)
    elif kind == 1:  # odd paths: the temp directory, missing directories, NUL bytes, bytes, long names
        odd = src.pick(
            [
                _TMPDIR,
                _tmp("missing/dir/m.safetensors"),
                _tmp("a\0b"),
                _tmp("x" * 300),
                "",
                os.fsencode(path),
                os.fsencode(_tmp("c\0d")),
                _tmp("\udcff"),
                3,
                None,
            ]
        )
        call_path("Sequential.save", w.model.save, odd, model=w.model, mutates=False)
        call_path("dn.load", dn.load, odd)
        if src.chance(50):
            call_path("_core.load_model", _core.load_model, odd, src.chance(50))
    elif kind == 2:
        layers = list(w.raw_layers)
        if src.chance(30):
            layers.append(src.pick([_core.ReLU_float64(), _core.Dense_float32(2, 2, 0), None, 1, "relu"]))
        target = path if src.chance(80) else src.pick([_TMPDIR, "", _tmp("a\0b"), None])
        arg = layers if src.chance(90) else tuple(layers)
        call_path(
            "_core.save_model", lambda p: _core.save_model(arg, p), target, model=w.raw_dense, mutates=False
        )
        if src.chance(50):
            result = call_path(
                "_core.load_model", _core.load_model, target, src.pick([True, False, 0, "yes"])
            )
            if result is not None:
                for layer in result[1]:
                    call("loaded layer forward", layer.forward, value(src, (1, 2)), True)
    elif kind == 3:
        target = src.pick([path, _TMPDIR, "", _tmp("nope"), _tmp("model.safetensors\0x"), None, 7])
        call_path("_core.read_safetensors", _core.read_safetensors, target)
    else:
        if w.model._core is not None:
            call("Sequential.save", w.model.save, path, model=w.model, mutates=False)
        call("dn.load", dn.load, path, verify=True)


def op_raw_layer(w: World, src: Source):
    suffix = src.pick(["float32", "float64", w.suffix])
    kind = src.int_in(0, 2)
    if kind == 0:
        args = [*sizes(src), src.pick([0, 1, -1, 2**64 - 1, 2**64, 1.5, None])]
        if src.chance(50):
            args.append(src.pick(["he", "xavier", "zeros", "bogus", "", 3]))
        if src.chance(30):
            args.append(src.pick([True, False, None, 2]))
        layer = call("_core.Dense()", getattr(_core, "Dense_" + suffix), *args)
    elif kind == 1:
        name = src.pick(["ReLU", "Sigmoid", "Tanh", "Softmax", "LeakyReLU"])
        cls = getattr(_core, f"{name}_{suffix}")
        layer = call(f"_core.{name}()", cls, number(src)) if name == "LeakyReLU" and src.chance(70) else cls()
    else:
        layer = src.pick(w.raw_layers)
    if layer is None:
        return
    for _ in range(src.int_in(1, 4)):
        cols = getattr(layer, "in_features", None) or src.int_in(0, 4)
        op = src.int_in(0, 4)
        if op == 0:
            call(
                "_core layer.forward",
                layer.forward,
                value(src, (src.int_in(0, 3), cols), np.dtype(suffix)),
                src.pick([True, False, 1, None]),
                model=w.raw_dense,
                mutates=False,
            )
        elif op == 1:
            cols = getattr(layer, "out_features", None) or cols
            call(
                "_core layer.backward",
                layer.backward,
                value(src, (src.int_in(0, 3), cols), np.dtype(suffix)),
                model=[layer] + w.raw_dense,
            )
        elif op == 2 and hasattr(layer, "step"):
            call("_core Dense.step", layer.step, number(src), model=[layer] + w.raw_dense)
        elif op == 3 and hasattr(layer, "backward_parameters"):
            call(
                "_core Dense.backward_parameters",
                layer.backward_parameters,
                value(src, (src.int_in(0, 3), layer.out_features), np.dtype(suffix)),
                model=[layer] + w.raw_dense,
            )
        elif op == 4 and hasattr(layer, "weight"):
            view = src.pick(["weight", "grad_weight", "bias", "grad_bias"])
            arr = getattr(layer, view)
            if arr is not None and arr.size:
                arr.reshape(-1)[src.int_in(0, arr.size - 1)] = src.real()


def op_raw_net(w: World, src: Source):
    net = w.raw_net
    if src.chance(20):
        layers = [
            src.pick(
                w.raw_layers + [_core.ReLU_float32(), _core.Dense_float64(2, 3, 0), _core.Softmax_float64()]
            )
            for _ in range(src.int_in(0, 4))
        ]
        if src.chance(10):
            layers.append(src.pick([None, 3, "x", dn.ReLU()]))
        net = call("_core.Sequential()", type(w.raw_net), layers if src.chance(80) else tuple(layers))
        if net is None:
            return
    dt = np.dtype(w.dtype)
    op = src.int_in(0, 5)
    if op == 0:
        call(
            "_core Sequential.forward",
            net.forward,
            value(src, (w.batch, w.width_in), dt),
            model=w.raw_dense,
            mutates=False,
        )
    elif op == 1:
        call(
            "_core Sequential.predict",
            net.predict,
            value(src, (w.batch, w.width_in), dt),
            model=w.raw_dense,
            mutates=False,
        )
    elif op == 2:
        call(
            "_core Sequential.backward",
            net.backward,
            value(src, (w.batch, w.width_out), dt),
            model=w.raw_dense,
        )
    elif op == 3:
        call("_core Sequential.step", net.step, number(src), model=w.raw_dense)
    elif op == 4:
        name = src.pick(["MSELoss", "BCEWithLogitsLoss", "SoftmaxCrossEntropyLoss"])
        loss = getattr(_core, f"{name}_{src.pick([w.suffix, w.suffix, 'float32', 'float64'])}")()
        x, t = value(src, (w.batch, w.width_in), dt), value(src, (w.batch, w.width_out), dt)
        call("_core Sequential.train_step", net.train_step, x, loss, t, number(src), model=w.raw_dense)
    else:
        loss = getattr(_core, "SoftmaxCrossEntropyLoss_" + w.suffix)()
        labels = target_for(w, src, dn.SoftmaxCrossEntropyLoss())
        x = value(src, (w.batch, w.width_in), dt)
        call(
            "_core Sequential.train_step_labels",
            net.train_step_labels,
            x,
            loss,
            labels,
            number(src),
            model=w.raw_dense,
        )


def op_raw_loss(w: World, src: Source):
    suffix = src.pick(["float32", "float64"])
    name = src.pick(["MSELoss", "BCEWithLogitsLoss", "SoftmaxCrossEntropyLoss"])
    loss = getattr(_core, f"{name}_{suffix}")()
    dt = np.dtype(suffix)
    rows, cols = src.int_in(0, 4), src.int_in(0, 4)
    for _ in range(src.int_in(1, 3)):
        op = src.int_in(0, 2)
        if op == 0:
            pred = value(src, (rows, cols), dt)
            if name == "SoftmaxCrossEntropyLoss" and src.chance(50):
                labels = np.array([src.int_in(-1, cols) for _ in range(rows)], dtype=np.int64)
                if src.chance(10):
                    labels[...] = src.pick([2**63 - 1, -(2**63), 2**31])
                call(
                    "_core forward_labels",
                    loss.forward_labels,
                    pred,
                    _layout(src, labels) if src.chance(30) else labels,
                )
            elif name == "SoftmaxCrossEntropyLoss":
                call(
                    "_core forward_probabilities",
                    loss.forward_probabilities,
                    pred,
                    value(src, (rows, cols), dt),
                )
            else:
                call(f"_core {name}.forward", loss.forward, pred, value(src, (rows, cols), dt))
        else:
            call(f"_core {name}.backward", loss.backward)


def op_raw_optimizer(w: World, src: Source):
    suffix = src.pick(["float32", "float64", w.suffix])
    if w.raw_opt is None or src.chance(30):
        if src.chance(50):
            args = [number(src), number(src), number(src), number(src), src.pick([True, False, 1, None])]
            opt = call("_core.SGD()", getattr(_core, "SGD_" + suffix), *args)
        else:
            args = [number(src) for _ in range(5)] + [
                src.pick([True, False, None]),
                src.pick([True, False, 0]),
            ]
            opt = call("_core.Adam()", getattr(_core, "Adam_" + suffix), *args)
        if opt is None:
            return
        w.raw_opt = opt
    opt = w.raw_opt
    for _ in range(src.int_in(1, 5)):
        op = src.int_in(0, 8)
        index = src.pick([0, 1, -1, len(opt), 2**40, -(2**63), 2**63, 0.5, None])
        if op == 0:  # a parameter: one of densenn's own views, or any array
            if w.raw_dense and src.chance(50):
                d = src.pick(w.raw_dense)
                p, g = (
                    (d.weight, d.grad_weight) if src.chance(70) or d.bias is None else (d.bias, d.grad_bias)
                )
            else:
                n = src.int_in(0, 5)
                p, g = array(src, (n,), np.dtype(suffix)), array(src, (n,), np.dtype(suffix))
            unaligned = any(isinstance(a, np.ndarray) and not a.flags.aligned for a in (p, g))
            if unaligned and is_known("native:optimizer-unaligned"):
                continue  # accepted, then misread by step(): a crash under UBSan, so not again
            call("_core optimizer.add", opt.add, p, g, model=w.raw_dense, mutates=False)
        elif op == 1:
            call("_core optimizer.step", opt.step, model=w.raw_dense)
        elif op == 2:
            call("_core optimizer.zero_grad", opt.zero_grad)
        elif op == 3:
            call("_core optimizer.numel", opt.numel, index)
            call("_core optimizer.steps", opt.steps, index)
        elif op == 4:
            call("_core optimizer.set_steps", opt.set_steps, index, src.pick([0, 1, -1, 2**62, 2**63, 10**6]))
        elif op == 5:
            call("_core optimizer.buffer", opt.buffer, index, src.pick([0, 1, 2, 3, -1]))
        elif op == 6:
            n = src.int_in(0, 6)
            call(
                "_core optimizer.set_buffer",
                opt.set_buffer,
                index,
                src.pick([0, 1, 2, -1]),
                value(src, (n,), np.dtype(suffix)),
                model=w.raw_dense,
                mutates=False,
            )
        elif op == 7:
            args = [number(src) for _ in range(4 if "SGD" in type(opt).__name__ else 5)]
            flags = [src.pick([True, False])] * (1 if "SGD" in type(opt).__name__ else 2)
            call("_core optimizer.set_options", opt.set_options, *args, *flags)
        else:
            _ = opt.buffer_names, len(opt)


def op_train_loop(w: World, src: Source):
    """forward, then any other calls (on the model's own layers too), then backward and step."""
    m = w.model
    x = x_for(w, src)
    out = call("Sequential.forward", m.forward, x, model=m, mutates=False)
    for _ in range(src.int_in(0, 2)):
        src.pick([op_layer, op_layer, op_raw_layer, op_raw_net, op_loss, op_model])(w, src)
    grad = value(src, np.shape(out) if out is not None else (w.batch, w.width_out), w.dtype)
    call("Sequential.backward", m.backward, grad, model=m)
    if src.chance(50):
        call("Sequential.step", m.step, number(src), model=m)


OPS = [
    op_dense_ctor, op_layer, op_layer, op_model, op_model, op_model, op_train_loop, op_train_loop, op_loss,
    op_optimizer, op_optimizer, op_threads, op_gradcheck, op_fit, op_files, op_files, op_raw_layer,
    op_raw_layer, op_raw_net, op_raw_net, op_raw_loss, op_raw_optimizer, op_raw_optimizer,
]  # fmt: skip


def run_one(data: bytes, trace: list | None = None) -> None:
    """Builds a world from `data` and runs up to 8 calls on it; raises Finding on a broken contract.

    `trace`, when given, receives the names of the operations run.
    """
    src = Source(data)
    threads = _core.get_num_threads()
    for name in os.listdir(_TMPDIR):  # files of earlier inputs must not change what this one does
        path = os.path.join(_TMPDIR, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            w = World(src)
            for _ in range(src.int_in(1, 8)):
                op = src.pick(OPS)
                if trace is not None:
                    trace.append(op.__name__)
                op(w, src)
                if src.exhausted:
                    break
    finally:
        _core.set_num_threads(threads)  # as it was: set_num_threads calls must not outlive the input


def make_corpus(directory: str, seed: int = 0, tries: int = 20000) -> None:
    """Writes one short input per operation: the first found that starts with it and passes cleanly."""
    import random

    rng, seen = random.Random(seed), set()
    os.makedirs(directory, exist_ok=True)
    KNOWN.append("native:*")  # an input that would crash under a sanitizer is no seed
    for _ in range(tries):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(16, 160)))
        trace: list = []
        hits = sum(KNOWN_HITS.values())
        try:
            run_one(data, trace)
        except Finding:
            continue
        if sum(KNOWN_HITS.values()) != hits:
            continue
        if trace and trace[0] not in seen:
            seen.add(trace[0])
            with open(os.path.join(directory, trace[0]), "wb") as f:
                f.write(data)
    missing = sorted({op.__name__ for op in OPS} - seen)
    print(
        f"{len(seen)} inputs written to {directory}" + (f"; no input found for {missing}" if missing else "")
    )


if __name__ == "__main__":  # python bindings_driver.py FILE... (replay) | --make-corpus DIR
    if sys.argv[1:2] == ["--make-corpus"]:
        make_corpus(sys.argv[2])
    else:
        for name in sys.argv[1:]:
            with open(name, "rb") as f:
                run_one(f.read())
            print(f"ok {name}")
