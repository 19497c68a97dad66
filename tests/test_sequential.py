"""Sequential: forward/backward/step against a reference loop, parameters, indexing, predict, state dicts."""

import numpy as np
import pytest
import reference as ref

import densenn as dn


def make_model(dtype, seed=0):
    return dn.Sequential(
        dn.Dense(5, 8, dtype=dtype, seed=seed),
        dn.Tanh(),
        dn.Dense(8, 6, dtype=dtype, seed=seed + 1),
        dn.ReLU(),
        dn.Dense(6, 3, dtype=dtype, seed=seed + 2),
        dn.Sigmoid(),
    )


def randomize_biases(model, rng):
    for layer in model:
        if isinstance(layer, dn.Dense):
            layer.bias[...] = rng.uniform(-0.5, 0.5, layer.out_features)


def reference_forward(model, x):
    """The layers' formulas applied in order; returns every layer's input and the output."""
    inputs = []
    for layer in model:
        inputs.append(x)
        if isinstance(layer, dn.Dense):
            x = ref.dense_forward(x, layer.weight, layer.bias)
        else:
            x = {dn.Tanh: ref.tanh, dn.ReLU: ref.relu, dn.Sigmoid: ref.sigmoid}[type(layer)](x)
    return inputs, x


def reference_backward(model, inputs, grad):
    """The same loop reversed; returns dE/dx and [(dW, db)] for each Dense, in layer order."""
    grads = []
    for layer, x in zip(reversed(list(model)), reversed(inputs)):
        if isinstance(layer, dn.Dense):
            grad, dw, db = ref.dense_backward(grad, x, layer.weight)
            grads.insert(0, (dw, db))
        else:
            backward = {
                dn.Tanh: ref.tanh_backward,
                dn.ReLU: ref.relu_backward,
                dn.Sigmoid: ref.sigmoid_backward,
            }
            grad = backward[type(layer)](grad, x)
    return grad, grads


def dense_layers(model):
    return [layer for layer in model if isinstance(layer, dn.Dense)]


@pytest.mark.parametrize("batch", [1, 7, 0])
def test_forward_backward_step_match_the_reference_loop(batch, dtype, rng, assert_close):
    model = make_model(dtype)
    randomize_biases(model, rng)
    x = rng.uniform(-1, 1, (batch, 5)).astype(dtype)
    dy = rng.uniform(-1, 1, (batch, 3)).astype(dtype)

    inputs, want_y = reference_forward(model, x)
    y = model.forward(x)
    assert y.dtype == dtype
    assert_close(y, want_y, dtype)

    want_dx, want_grads = reference_backward(model, inputs, dy)
    assert_close(model.backward(dy), want_dx, dtype)
    for layer, (dw, db) in zip(dense_layers(model), want_grads):
        assert_close(layer.grad_weight, dw, dtype)
        assert_close(layer.grad_bias, db, dtype)

    want_params = [ref.sgd(p, g, 0.3) for p, g in zip(model.parameters(), model.gradients())]
    model.step(0.3)
    for p, want in zip(model.parameters(), want_params):
        assert_close(p, want, dtype)


def test_one_dimensional_input(dtype, rng, assert_close):
    model = make_model(dtype)
    x = rng.uniform(-1, 1, 5).astype(dtype)
    y = model.forward(x)
    assert y.shape == (3,)
    assert_close(y, reference_forward(model, x[None])[1][0], dtype)
    assert model.backward(np.ones(3, dtype)).shape == (5,)


def test_parameters_order_and_memory_sharing():
    model = make_model(np.float64)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    layers = dense_layers(model)
    expected = [arr for layer in layers for arr in (layer.weight, layer.bias)]
    params = model.parameters()
    assert len(params) == len(expected)
    for p, e in zip(params, expected):
        assert p.shape == e.shape and np.shares_memory(p, e)
    params[2][0, 0] = 123.0  # writing through parameters() changes the layer
    assert layers[1].weight[0, 0] == 123.0


def test_gradients_share_memory_with_the_layers():
    model = make_model(np.float32)
    grads = model.gradients()
    layers = dense_layers(model)
    expected = [arr for layer in layers for arr in (layer.grad_weight, layer.grad_bias)]
    assert all(np.shares_memory(g, e) for g, e in zip(grads, expected))


def test_parameters_of_a_no_bias_layer():
    model = dn.Sequential(dn.Dense(3, 4, bias=False, seed=0), dn.ReLU(), dn.Dense(4, 2, seed=1))
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "2.weight", "2.bias"]


def test_indexing_and_len():
    layers = [dn.Dense(3, 4, seed=0), dn.ReLU(), dn.Dense(4, 2, seed=1)]
    model = dn.Sequential(*layers)
    assert len(model) == 3
    assert model[0] is layers[0] and model[1] is layers[1] and model[2] is layers[2]
    assert model[-1] is layers[2] and model[-3] is layers[0]
    assert list(model) == layers
    with pytest.raises(IndexError):
        model[3]
    with pytest.raises(IndexError):
        model[-4]


def test_slicing_gives_a_sequential_of_the_same_layers(rng):
    model = make_model(np.float64)
    head = model[:3]
    assert isinstance(head, dn.Sequential) and len(head) == 3
    assert all(a is b for a, b in zip(head, list(model)[:3]))
    x = rng.uniform(-1, 1, (2, 5))
    np.testing.assert_array_equal(model[3:].predict(head.predict(x)), model.predict(x))


def test_predict_equals_forward_and_leaves_gradients_and_backward_state(dtype, rng):
    model = make_model(dtype)
    x1 = rng.uniform(-1, 1, (4, 5)).astype(dtype)
    x2 = rng.uniform(-1, 1, (6, 5)).astype(dtype)
    dy = rng.uniform(-1, 1, (4, 3)).astype(dtype)
    y1 = model.forward(x1)
    model.backward(dy)
    grads = [g.copy() for g in model.gradients()]

    np.testing.assert_array_equal(model.predict(x1), y1)
    model.predict(x2)  # a different batch size: must not replace what backward uses
    for g, before in zip(model.gradients(), grads):
        assert g.tobytes() == before.tobytes()
    model.backward(dy)  # still the state of forward(x1)
    for g, before in zip(model.gradients(), grads):
        assert g.tobytes() == before.tobytes()


def test_predict_does_not_enable_backward_on_a_fresh_model(rng):
    model = make_model(np.float32)
    model.predict(rng.uniform(-1, 1, (4, 5)))
    with pytest.raises(RuntimeError):
        model.backward(np.ones((4, 3), np.float32))
    assert all(not np.any(g) for g in model.gradients())


def test_returned_arrays_belong_to_the_caller(dtype, rng):
    model = make_model(dtype)
    x1 = rng.uniform(-1, 1, (4, 5)).astype(dtype)
    x2 = rng.uniform(-1, 1, (4, 5)).astype(dtype)
    y1 = model.forward(x1)
    dx1 = model.backward(np.ones((4, 3), dtype))
    p1 = model.predict(x1)
    kept = [a.copy() for a in (y1, dx1, p1)]
    model.forward(x2)
    model.backward(np.full((4, 3), -2.0, dtype))
    model.predict(x2)
    for a, before in zip((y1, dx1, p1), kept):
        np.testing.assert_array_equal(a, before)
    assert not any(np.shares_memory(y1, p) for p in model.parameters())


class _Identity(dn.Layer):
    """A layer of one's own that hands back the very array it was given."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


@pytest.mark.parametrize("layers", [[], [_Identity()]], ids=["no layers", "an identity layer"])
def test_arrays_returned_never_share_memory_with_the_callers(layers):
    model = dn.Sequential(*layers)
    x, grad = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    y, p = model.forward(x), model.predict(x)
    dx = model.backward(grad)
    for out, given in ((y, x), (p, x), (dx, grad)):
        np.testing.assert_array_equal(out, given)
        assert not np.shares_memory(out, given)
    y[...] = -1
    dx[...] = -1
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(grad, 1.0)


def test_repr_indents_a_nested_model_as_torch_does(torch):
    model = dn.Sequential(dn.Sequential(dn.Dense(2, 3, seed=0), dn.ReLU()), dn.Dense(3, 1, seed=1))
    assert repr(model) == (
        "Sequential(\n  (0): Sequential(\n    (0): Dense(2, 3)\n    (1): ReLU()\n  )\n  (1): Dense(3, 1)\n)"
    )
    twin = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()), torch.nn.Linear(3, 1)
    )
    indents = [len(line) - len(line.lstrip()) for line in repr(model).splitlines()]
    assert indents == [len(line) - len(line.lstrip()) for line in repr(twin).splitlines()]


# ---- state dicts -----------------------------------------------------------------------------------


def test_state_dict_round_trip(dtype, rng):
    source, target = make_model(dtype, seed=0), make_model(dtype, seed=100)
    randomize_biases(source, rng)
    state = source.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for p, s in zip(source.parameters(), state.values()):
        assert s.dtype == dtype and not np.shares_memory(p, s)  # a copy, not a view
    target.load_state_dict(state)
    x = rng.uniform(-1, 1, (3, 5)).astype(dtype)
    assert target.forward(x).tobytes() == source.forward(x).tobytes()
    state["0.weight"][...] = 0  # the dict is the caller's: editing it leaves both models alone
    assert np.any(source[0].weight) and np.any(target[0].weight)


def test_load_state_dict_converts_lists_and_other_dtypes():
    model = dn.Sequential(dn.Dense(2, 2, seed=0))
    model.load_state_dict({"0.weight": [[1, 2], [3, 4]], "0.bias": np.array([0.5, -0.5], np.float16)})
    np.testing.assert_array_equal(model[0].weight, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(model[0].bias, [0.5, -0.5])


def bad_state_dicts():
    good = make_model(np.float32, seed=7).state_dict()

    def edited(**changes):
        d = dict(good)
        for key, value in changes.items():
            d[key.replace("_", ".")] = value
        return d

    extra = dict(good, **{"6.weight": np.zeros((1, 3))})
    missing = {k: v for k, v in good.items() if k != "4.bias"}
    renamed = {("layer." + k if k == "4.bias" else k): v for k, v in good.items()}
    # The bad entry comes last, so a loader that copies as it checks would already have changed things.
    return [
        pytest.param(extra, ValueError, id="unexpected-key"),
        pytest.param(missing, ValueError, id="missing-key"),
        pytest.param(renamed, ValueError, id="renamed-key"),
        pytest.param(edited(**{"4_bias": np.zeros(4)}), ValueError, id="bad-shape"),
        pytest.param(edited(**{"4_weight": np.zeros((6, 3))}), ValueError, id="transposed"),
        pytest.param(edited(**{"4_bias": np.array(["a", "b", "c"])}), TypeError, id="strings"),
        pytest.param(edited(**{"4_bias": np.array([1.0, 2.0, 3.0], object)}), TypeError, id="object"),
        pytest.param(edited(**{"4_bias": np.zeros(3, complex)}), TypeError, id="complex"),
        pytest.param(edited(**{"4_bias": None}), TypeError, id="none"),
    ]


@pytest.mark.parametrize(("state", "error"), bad_state_dicts())
def test_load_state_dict_is_all_or_nothing(state, error):
    model = make_model(np.float32, seed=0)
    before = [p.copy() for p in model.parameters()]
    with pytest.raises(error):
        model.load_state_dict(state)
    for p, b in zip(model.parameters(), before):
        assert p.tobytes() == b.tobytes()


# ---- construction ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layers",
    [
        pytest.param(lambda: [dn.Dense(3, 4), dn.Dense(5, 2)], id="adjacent"),
        pytest.param(lambda: [dn.Dense(3, 4), dn.ReLU(), dn.Tanh(), dn.Dense(5, 2)], id="across-activations"),
        pytest.param(
            lambda: [dn.Dense(3, 4), dn.ReLU(), dn.Dense(4, 4), dn.Sigmoid(), dn.Dense(3, 1)], id="later"
        ),
    ],
)
def test_sizes_that_do_not_chain_raise(layers):
    with pytest.raises(ValueError, match="4"):
        dn.Sequential(*layers())


def test_sizes_that_chain_build():
    model = dn.Sequential(dn.Dense(3, 4), dn.ReLU(), dn.Softmax(), dn.Dense(4, 2))
    assert model.forward(np.ones((2, 3))).shape == (2, 2)


def test_mixed_dtypes_raise():
    with pytest.raises((ValueError, TypeError)):
        dn.Sequential(dn.Dense(3, 4, dtype=np.float32), dn.ReLU(), dn.Dense(4, 2, dtype=np.float64))


def test_all_layers_take_the_model_dtype(dtype, rng):
    model = make_model(dtype)
    y = model.forward(rng.uniform(-1, 1, (2, 5)))  # float64 input
    assert y.dtype == dtype
    assert model.backward(np.ones((2, 3))).dtype == dtype
    assert all(p.dtype == dtype for p in model.parameters() + model.gradients())


def test_a_shared_layer_run_by_another_model_in_between_makes_backward_raise():
    # PyTorch keeps each forward's inputs in its own graph; a densenn layer keeps one cached input,
    # so a backward that would use another model's input raises instead of giving wrong gradients.
    shared = dn.Dense(4, 4, seed=0)
    first = dn.Sequential(shared, dn.ReLU(), dn.Dense(4, 2, seed=1))
    second = dn.Sequential(shared, dn.Tanh())
    rng = np.random.default_rng(0)
    x1, x2, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    first.forward(x1)
    second.forward(x2)
    before = [p.copy() for p in first.gradients()]
    with pytest.raises(RuntimeError, match="layer 0 \\(dense\\) has run a training forward"):
        first.backward(g)
    assert all(np.array_equal(a, b) for a, b in zip(first.gradients(), before))
    second.backward(rng.normal(size=(3, 4)))  # its own forward is the last: fine
    first.forward(x1)
    first.backward(g)  # taking turns works
    alone = dn.Sequential(dn.Dense(4, 4, seed=0), dn.ReLU(), dn.Dense(4, 2, seed=1))
    alone.forward(x1)
    alone.backward(g)
    assert all(np.array_equal(a, b) for a, b in zip(first.gradients(), alone.gradients()))


class _Double:
    """A layer of the user's own (the model then runs its layers from Python)."""

    def forward(self, x):
        return 2 * np.asarray(x)

    def backward(self, grad):
        return 2 * np.asarray(grad)


def test_a_shared_layer_run_in_between_raises_in_a_model_with_a_layer_of_its_own():
    shared = dn.Dense(4, 4, seed=0)
    first = dn.Sequential(shared, _Double(), dn.Dense(4, 2, seed=1))
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    first.forward(x)
    shared.forward(rng.normal(size=(3, 4)))  # a direct call, the same shape
    before = [p.copy() for p in first.gradients()]
    with pytest.raises(RuntimeError, match="layer 0 .* has run a training forward"):
        first.backward(g)
    assert all(np.array_equal(a, b) for a, b in zip(first.gradients(), before))
    first.forward(x)
    dx = first.backward(g)
    plain = dn.Sequential(dn.Dense(4, 4, seed=0), _Double(), dn.Dense(4, 2, seed=1))
    plain.forward(x)
    np.testing.assert_array_equal(dx, plain.backward(g))


def test_zero_grad_zeroes_every_gradient_and_nothing_else():
    model = dn.Sequential(dn.Dense(3, 4, seed=0), dn.ReLU(), dn.Dense(4, 2, seed=1))
    rng = np.random.default_rng(2)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    model.forward(x)
    model.backward(g)
    want = [gr.copy() for gr in model.gradients()]
    params = [p.copy() for p in model.parameters()]
    assert all(np.any(gr != 0) for gr in model.gradients())
    model[2].zero_grad()
    assert not np.any(model[2].grad_weight) and not np.any(model[2].grad_bias)
    assert np.array_equal(model[0].grad_weight, want[0])
    model.zero_grad(set_to_none=True)
    assert all(not np.any(gr) for gr in model.gradients())
    assert all(np.array_equal(a, b) for a, b in zip(model.parameters(), params))
    model.backward(g)  # overwrites: the same gradients as before
    assert all(np.array_equal(a, b) for a, b in zip(model.gradients(), want))
    dn.ReLU().zero_grad()  # no parameters: nothing to do


@pytest.mark.parametrize("rows", [10, 11, 12, 13])
def test_predict_in_chunks_is_bitwise_the_whole_batch(rows):
    # A last chunk of one or two rows would take the few-row kernel (other rounding): it joins the
    # chunk before it.
    model = make_model(np.float32)
    x = np.random.default_rng(rows).normal(size=(rows, 5)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, batch_size=4), model.predict(x))


def test_load_state_dict_strict_false_loads_the_keys_both_sides_have(torch):
    model = make_model(np.float64)
    state = model.state_dict()
    result = model.load_state_dict(state)
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    partial = {"0.weight": np.zeros_like(state["0.weight"]), "extra.weight": np.ones(3)}
    with pytest.raises(ValueError, match="missing keys"):
        model.load_state_dict(partial)
    missing, unexpected = model.load_state_dict(partial, strict=False)
    assert unexpected == ["extra.weight"] and "0.weight" not in missing and "0.bias" in missing
    assert not model[0].weight.any()
    np.testing.assert_array_equal(model[0].bias, state["0.bias"])  # left as it was
    # A wrong shape is still refused, changing nothing, as in PyTorch.
    with pytest.raises(ValueError, match="expected shape"):
        model.load_state_dict({"0.weight": np.ones(3), "0.bias": np.ones_like(state["0.bias"])}, strict=False)
    np.testing.assert_array_equal(model[0].bias, state["0.bias"])
    # The same as torch.nn.Module.load_state_dict(strict=False) reports.
    twin = model.to_torch()
    theirs = twin.load_state_dict({k: torch.from_numpy(v) for k, v in partial.items()}, strict=False)
    assert (theirs.missing_keys, theirs.unexpected_keys) == (missing, unexpected)


class _Scale(dn.Layer):
    """A layer of one's own written as a subclass of dn.Layer, overriding forward and backward only."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return np.asarray(x) * self.factor

    def backward(self, grad):
        return np.asarray(grad) * self.factor


def test_a_subclass_of_layer_with_its_own_forward_and_backward_works_everywhere(rng):
    # Its inherited predict and backward checks belong to densenn's layers: the model runs its own
    # forward for predict and lets its own backward raise.
    first, last = dn.Dense(3, 4, dtype=np.float64, seed=0), dn.Dense(4, 2, dtype=np.float64, seed=1)
    model = dn.Sequential(first, _Scale(2.0), last)
    twin = dn.Sequential(
        dn.Dense(3, 4, dtype=np.float64, seed=0), dn.Dense(4, 2, dtype=np.float64, seed=1)
    )  # the same net with the factor folded into the second layer's weight
    twin[1].weight[...] *= 2.0
    x, grad = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    np.testing.assert_allclose(model.predict(x), twin.predict(x), rtol=1e-13)
    np.testing.assert_allclose(model.forward(x), twin.forward(x), rtol=1e-13)
    np.testing.assert_allclose(model.backward(grad), twin.backward(grad), rtol=1e-13)
    np.testing.assert_allclose(first.grad_weight, twin[0].grad_weight, rtol=1e-13)
    np.testing.assert_allclose(last.grad_weight, 2.0 * twin[1].grad_weight, rtol=1e-13)  # dW = dY^T (2 h)
    history = model.fit(x, grad, loss="mse", epochs=2, batch_size=2, shuffle=False, progress=False)
    assert len(history["loss"]) == 2
    assert max(dn.gradcheck(model, x, grad, dn.MSELoss()).values()) < 1e-6
    assert repr(model).splitlines()[2] == "  (1): _Scale()"
    np.testing.assert_array_equal(model[1].predict(x), 2.0 * x)  # on its own too
