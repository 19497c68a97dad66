"""Threads: set/get_num_threads, bitwise-identical results for 1 and 2 threads, and the GIL released."""

import sys
import threading

import numpy as np
import pytest

import densenn as dn


@pytest.fixture(autouse=True)
def restore_threads():
    before = dn.get_num_threads()
    yield
    dn.set_num_threads(before)


@pytest.mark.parametrize("n", [1, 2, 3, 8, np.int64(2)])
def test_set_get_round_trip(n):
    dn.set_num_threads(n)
    assert dn.get_num_threads() == n
    assert type(dn.get_num_threads()) is int


def test_default_is_at_least_one():
    assert dn.get_num_threads() >= 1


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        ("2", TypeError),
        (1.5, TypeError),
        (2.0, TypeError),
        (None, TypeError),
    ],
)
def test_bad_thread_counts(value, error):
    dn.set_num_threads(3)
    with pytest.raises(error, match="threads"):
        dn.set_num_threads(value)
    assert dn.get_num_threads() == 3


def run_big_net(threads, dtype):
    """Forward, loss, backward and three SGD steps on a net big enough to be split across threads."""
    dn.set_num_threads(threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 512)).astype(dtype)
    labels = rng.integers(0, 10, 128)
    model = dn.Sequential(
        dn.Dense(512, 256, dtype=dtype, seed=0), dn.ReLU(), dn.Dense(256, 10, dtype=dtype, seed=1)
    )
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    results = {"logits": model.forward(x)}
    results["loss"] = np.array(loss_fn.forward(results["logits"], labels))
    results["dx"] = model.backward(loss_fn.backward())
    for name, grad in zip([n for n, _ in model.named_parameters()], model.gradients()):
        results[f"grad {name}"] = grad.copy()
    for _ in range(3):
        model.step(0.05)
        loss_fn.forward(model.forward(x), labels)
        model.backward(loss_fn.backward())
    for name, param in model.named_parameters():
        results[f"{name} after steps"] = param.copy()
    results["predict"] = model.predict(x)
    return results


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_results_are_bitwise_identical_whatever_the_thread_count(dtype, threads):
    one, many = run_big_net(1, dtype), run_big_net(threads, dtype)
    assert list(one) == list(many)
    for name in one:
        assert one[name].tobytes() == many[name].tobytes(), name


def test_concurrent_callers_get_the_same_results():
    """Several Python threads training their own models at once share the pool without mixing jobs."""
    dn.set_num_threads(2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 256))
    dy = rng.normal(size=(64, 128))

    def run(seed, repeats=3):
        layer = dn.Dense(256, 128, dtype=np.float64, seed=seed)
        for _ in range(repeats):
            y = layer.forward(x)
            dx = layer.backward(dy)
        return y.tobytes() + dx.tobytes() + layer.grad_weight.tobytes()

    expected = {seed: run(seed, repeats=1) for seed in range(4)}
    results = {}
    threads = [threading.Thread(target=lambda s=s: results.__setitem__(s, run(s))) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_heavy_calls_release_the_gil():
    """A Python thread makes progress while another thread is inside densenn's kernels.

    With a long switch interval the interpreter never takes the GIL away from a running thread, so
    the counting thread (which sleeps briefly between increments, releasing the GIL) can only count
    while the worker is inside a call that released the GIL itself.
    """
    dn.set_num_threads(1)
    rng = np.random.default_rng(0)
    layer = dn.Dense(512, 512, dtype=np.float64, seed=0)
    x = rng.normal(size=(256, 512))
    grad = np.ones((256, 512))
    count, stop = [0], threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1
            stop.wait(0.0005)

    progress = []
    old_interval = sys.getswitchinterval()
    thread = threading.Thread(target=counter)
    sys.setswitchinterval(5.0)
    try:
        thread.start()
        for _ in range(20):  # each call takes tens of milliseconds; one with progress is enough
            before = count[0]
            layer.forward(x)
            layer.backward(grad)
            progress.append(count[0] - before)
            if progress[-1] > 0:
                break
    finally:
        stop.set()
        sys.setswitchinterval(old_interval)
        thread.join()
    assert max(progress) > 0, f"no progress during {len(progress)} heavy calls"


def test_concurrent_calls_on_one_model_never_crash():
    """Threads sharing one model, its layers and its loss are serialized, never corrupting memory.

    Every thread uses other batch sizes, so buffers are resized under the other threads' feet if
    nothing serialized the calls. What each call returns must still be a consistent result.
    """
    dn.set_num_threads(2)
    model = dn.Sequential(dn.Dense(64, 96, seed=0), dn.ReLU(), dn.Dense(96, 10, seed=1))
    loss = dn.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(3)
    errors = []

    def work(seed):
        local = np.random.default_rng(seed)
        try:
            for step in range(60):
                n = int(local.integers(1, 80))
                x = local.normal(size=(n, 64)).astype(np.float32)
                y = local.integers(0, 10, size=n)
                kind = step % 4
                if kind == 0:
                    model.train_step(x, y, loss, 0.01)
                elif kind == 1:
                    assert model.predict(x).shape == (n, 10)
                elif kind == 2:
                    assert model[0].forward(x).shape == (n, 96)  # a layer of the model, used directly
                else:
                    loss.forward(model.predict(x), y)
                    assert loss.backward().shape[1] == 10
        except Exception as e:  # noqa: BLE001 - every failure is reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(int(rng.integers(1 << 30)),)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    x = rng.normal(size=(5, 64)).astype(np.float32)
    assert np.all(np.isfinite(model.predict(x)))
