"""An activation object repeated in a Sequential computes as fresh ones in its places would, as in PyTorch."""

import copy
import pickle

import numpy as np
import pytest

import densenn as dn

# name -> a new activation, the same settings every call
KINDS = {
    "relu": dn.ReLU,
    "leaky_relu-0.2": lambda: dn.LeakyReLU(0.2),
    "tanh": dn.Tanh,
    "sigmoid": dn.Sigmoid,
    "softmax": dn.Softmax,
}
TORCH_KINDS = {
    "relu": lambda nn: nn.ReLU(),
    "leaky_relu-0.2": lambda nn: nn.LeakyReLU(0.2),
    "tanh": lambda nn: nn.Tanh(),
}
SHARED_AT = (1, 3, 4)  # 3 and 4 back to back, of one width: a shared cached input would go unnoticed there
TORCH_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


class Identity:
    """A user-defined layer: the model then runs its layers from Python, one call each."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


def build(activations, dtype, python_loop=False):
    """Dense(4, 6), a, Dense(6, 5), a, a, Dense(5, 3) with the three activations given, biases set."""
    first, second, third = activations
    layers = [
        dn.Dense(4, 6, dtype=dtype, seed=0),
        first,
        dn.Dense(6, 5, dtype=dtype, seed=1),
        second,
        third,
        dn.Dense(5, 3, dtype=dtype, seed=2),
    ]
    model = dn.Sequential(*layers, *([Identity()] if python_loop else []))
    rng = np.random.default_rng(7)
    for layer in model:
        if isinstance(layer, dn.Dense):
            layer.bias[...] = rng.uniform(-1, 1, layer.out_features)
    return model


def shared_and_fresh(kind, dtype, python_loop=False):
    """(the activation, the model repeating it, the same model with a new activation at each place)."""
    act = KINDS[kind]()
    fresh = build([KINDS[kind]() for _ in SHARED_AT], dtype, python_loop)
    return act, build([act] * len(SHARED_AT), dtype, python_loop), fresh


def data(dtype, batch=9):
    rng = np.random.default_rng(11)
    return rng.normal(scale=2.0, size=(batch, 4)).astype(dtype), rng.integers(0, 3, batch)


def assert_same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_parameters(model, twin):
    for a, b in zip(model.parameters() + model.gradients(), twin.parameters() + twin.gradients()):
        assert_same(a, b)


@pytest.mark.parametrize("python_loop", [False, True], ids=["one-call", "python-loop"])
@pytest.mark.parametrize("kind", KINDS)
def test_forward_backward_and_step_are_those_of_fresh_activations(kind, python_loop, dtype):
    act, model, twin = shared_and_fresh(kind, dtype, python_loop)
    assert (model._core is None) == python_loop
    x, _ = data(dtype)
    dy = np.random.default_rng(12).normal(size=(9, 3)).astype(dtype)
    for _ in range(2):  # a second round starts from the stepped weights and the same cached state
        assert_same(model.forward(x), twin.forward(x))
        assert_same(model.backward(dy), twin.backward(dy))
        assert_same_parameters(model, twin)
        model.step(0.1)
        twin.step(0.1)
        assert_same_parameters(model, twin)
        assert_same(model.predict(x), twin.predict(x))
    assert_same(model.forward(x[0]), twin.forward(x[0]))  # one sample, 1-D
    assert_same(model.backward(dy[0]), twin.backward(dy[0]))


def test_a_shared_cached_input_would_be_caught():
    """What the test above guards against: one activation's state at two places gives wrong gradients."""
    act, denses = dn.Tanh(), [dn.Dense(4, 4, dtype=np.float64, seed=i) for i in range(2)]
    model = dn.Sequential(denses[0], act, denses[1], act, Identity())
    twin = dn.Sequential(copy.deepcopy(denses[0]), dn.Tanh(), copy.deepcopy(denses[1]), dn.Tanh())
    model._runners = model._layers  # the Python loop run over the one object at every position
    x, _ = data(np.float64)
    dy = np.ones((9, 4))
    assert_same(model.forward(x), twin.forward(x))  # forward alone cannot tell
    assert not np.array_equal(model.backward(dy), twin.backward(dy))


@pytest.mark.parametrize("kind", KINDS)
def test_the_container_keeps_the_users_object(kind):
    act, model, twin = shared_and_fresh(kind, np.float32)
    assert len(model) == 6 and all(model[i] is act for i in SHARED_AT) and model[-3] is act
    assert [type(layer) for layer in model] == [type(layer) for layer in twin]
    assert repr(model) == repr(twin) and "(3): " + repr(act) in repr(model)
    assert (
        list(model.state_dict())
        == list(twin.state_dict())
        == [f"{i}.{p}" for i in (0, 2, 5) for p in ("weight", "bias")]
    )
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in twin.state_dict().items())
    part = model[1:5]
    assert len(part) == 4 and part[0] is act and part[2] is act and part[3] is act
    x = np.ones((2, 6), np.float32)
    assert_same(part.predict(x), twin[1:5].predict(x))


@pytest.mark.parametrize("kind", ["relu", "leaky_relu-0.2", "softmax"])
def test_train_step_fit_and_gradcheck_are_those_of_fresh_activations(kind, dtype):
    _, model, twin = shared_and_fresh(kind, dtype)
    x, y = data(dtype, batch=40)
    loss, twin_loss = dn.SoftmaxCrossEntropyLoss(), dn.SoftmaxCrossEntropyLoss()
    assert model.train_step(x, y, loss, 0.1) == twin.train_step(x, y, twin_loss, 0.1)
    assert_same_parameters(model, twin)
    history = model.fit(
        x, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=8, seed=0, progress=False
    )
    twin_history = twin.fit(
        x, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=8, seed=0, progress=False
    )
    assert dict(history) == dict(twin_history)
    assert_same_parameters(model, twin)
    assert dn.gradcheck(model, x[:5], y[:5], "cross_entropy") == dn.gradcheck(
        twin, x[:5], y[:5], "cross_entropy"
    )
    assert max(dn.gradcheck(model, x[:5], y[:5], "cross_entropy").values()) < 1e-6


@pytest.mark.parametrize("kind", TORCH_KINDS)
def test_matches_torch_sequential_with_a_shared_module(kind, dtype, rng, torch, assert_close):
    _, model, _ = shared_and_fresh(kind, dtype)
    module = TORCH_KINDS[kind](torch.nn)
    tdtype = getattr(torch, TORCH_DTYPES[dtype])
    reference = torch.nn.Sequential(
        torch.nn.Linear(4, 6, dtype=tdtype),
        module,
        torch.nn.Linear(6, 5, dtype=tdtype),
        module,
        module,
        torch.nn.Linear(5, 3, dtype=tdtype),
    )
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()}, strict=True)
    x, y = data(dtype)
    xt = torch.tensor(x, requires_grad=True)
    value_t = torch.nn.functional.cross_entropy(reference(xt), torch.from_numpy(y))
    value_t.backward()
    loss = dn.SoftmaxCrossEntropyLoss()
    assert_close(loss.forward(model.forward(x), y), value_t.item(), dtype)
    assert_close(model.backward(loss.backward()), xt.grad.numpy(), dtype)
    torch_params = dict(reference.named_parameters())
    for (name, _), grad in zip(model.named_parameters(), model.gradients()):
        assert_close(grad, torch_params[name].grad.numpy(), dtype)

    # Both ways across: the shared module becomes one activation per position, and back.
    back = dn.from_torch(reference)
    assert_close(back.predict(x), reference(torch.from_numpy(x)).detach().numpy(), dtype)
    assert_close(model.to_torch()(torch.from_numpy(x)).detach().numpy(), model.predict(x), dtype)


@pytest.mark.parametrize("kind", ["relu", "leaky_relu-0.2"])
def test_save_load_copy_and_pickle(kind, dtype, tmp_path):
    act, model, twin = shared_and_fresh(kind, dtype)
    x, _ = data(dtype)
    model.save(tmp_path / "m.safetensors")
    loaded = dn.load(tmp_path / "m.safetensors")
    assert repr(loaded) == repr(model) and loaded.dtype == dtype
    assert loaded[1] is not loaded[3]  # the file holds one activation per position
    assert_same(loaded.predict(x), twin.predict(x))
    if kind == "leaky_relu-0.2":
        assert all(loaded[i].negative_slope == 0.2 for i in SHARED_AT)
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert other[1] is other[3] is other[4] and other[1] is not act  # still one object, a new one
        assert_same(other.forward(x), twin.forward(x))
        assert_same(other.backward(np.ones((9, 3), dtype)), twin.backward(np.ones((9, 3), dtype)))


def test_an_activation_repeated_across_a_nested_sequential(dtype):
    act = dn.Tanh()
    inner = dn.Sequential(dn.Dense(4, 6, dtype=dtype, seed=0), act)
    model = dn.Sequential(inner, dn.Dense(6, 5, dtype=dtype, seed=1), act, act)
    twin = dn.Sequential(
        dn.Dense(4, 6, dtype=dtype, seed=0),
        dn.Tanh(),
        dn.Dense(6, 5, dtype=dtype, seed=1),
        dn.Tanh(),
        dn.Tanh(),
    )
    x, _ = data(dtype)
    dy = np.random.default_rng(12).normal(size=(9, 5)).astype(dtype)
    assert_same(model.forward(x), twin.forward(x))
    assert_same(model.backward(dy), twin.backward(dy))
    assert_same_parameters(model, twin)
    # The nested model on its own still runs the object itself, and a repeat inside it as well.
    assert_same(inner.forward(x), twin[:2].forward(x))
    nested_twice = dn.Sequential(dn.Sequential(dn.Dense(4, 6, dtype=dtype, seed=0), act, act), act)
    twin = dn.Sequential(dn.Dense(4, 6, dtype=dtype, seed=0), dn.Tanh(), dn.Tanh(), dn.Tanh())
    assert_same(nested_twice.forward(x), twin.forward(x))
    assert_same(nested_twice.backward(np.ones((9, 6), dtype)), twin.backward(np.ones((9, 6), dtype)))


@pytest.mark.parametrize(
    "make",
    [
        lambda d, act, own: (d, act, d),
        lambda d, act, own: (dn.Dense(2, 2), own, dn.Dense(2, 2), own),
        lambda d, act, own: (dn.Sequential(act), dn.Sequential(act)),
        lambda d, act, own: (dn.Dense(2, 2), *[dn.Sequential(act)] * 2),
    ],
    ids=["dense", "user-defined-layer", "in-two-nested", "nested-sequential"],
)
def test_what_is_not_an_activation_still_may_not_repeat(make):
    """A Dense's weights and gradients cannot serve two places; a user-defined layer may hold state."""
    with pytest.raises(ValueError, match="is the same object as layer"):
        dn.Sequential(*make(dn.Dense(2, 2), dn.ReLU(), Identity()))
