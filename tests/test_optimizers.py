"""SGD, Adam, AdamW step for step against a NumPy reference and torch.optim; settings; state; init seeds."""

import gc
import math

import numpy as np
import pytest

import densenn as dn

# ---- the NumPy reference: textbook formulas in float64, one step on a list of parameters -------------


def reference_sgd(params, grads, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD's documented update; ``state`` keeps one momentum buffer per parameter."""
    new = []
    for i, (p, g) in enumerate(zip(params, grads)):
        d = g + weight_decay * p
        if momentum != 0:
            v = d.copy() if i not in state else momentum * state[i] + (1 - dampening) * d
            state[i] = v
            d = d + momentum * v if nesterov else v
        new.append(p - lr * d)
    return new


def reference_adam(
    params, grads, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False
):
    """Kingma & Ba's Adam with torch's weight decay and AMSGrad; ``state`` keeps t, m, v, v_max."""
    b1, b2 = betas
    state["t"] = t = state.get("t", 0) + 1
    new = []
    for i, (p, g) in enumerate(zip(params, grads)):
        m, v, v_max = state.get(i, (np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)))
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1**t)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        new.append(p - lr * m_hat / (np.sqrt(v_hat) + eps))
        state[i] = (m, v, v_max)
    return new


SGD_SETTINGS = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.8, dampening=0.3),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.05, momentum=0.5, weight_decay=0.01),
}
ADAM_SETTINGS = {
    "default": dict(lr=1e-3),
    "betas": dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    "weight_decay": dict(lr=0.01, weight_decay=0.05),
    "amsgrad": dict(lr=0.01, amsgrad=True),
}


def mlp(dtype, seed=0):
    return dn.Sequential(
        dn.Dense(6, 8, dtype=dtype, seed=seed),
        dn.Tanh(),
        dn.Dense(8, 5, dtype=dtype, seed=seed + 1),
        dn.ReLU(),
        dn.Dense(5, 3, dtype=dtype, seed=seed + 2),
    )


def train_against_reference(model, opt, reference, settings, dtype, rng, assert_close, steps=10):
    """Runs `steps` backward + step pairs, checking every parameter after every step."""
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    x = rng.normal(size=(16, 6)).astype(dtype)
    y = rng.integers(0, 3, 16)
    state = {}
    for _ in range(steps):
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        before = [p.astype(np.float64) for p in model.parameters()]
        grads = [g.astype(np.float64) for g in model.gradients()]
        want = reference(before, grads, state, **settings)
        opt.step()
        for p, w in zip(model.parameters(), want):
            assert_close(p, w, dtype)


@pytest.mark.parametrize("name", SGD_SETTINGS)
def test_sgd_matches_numpy_reference(name, dtype, rng, assert_close):
    model = mlp(dtype)
    opt = dn.SGD(model.parameters(), **SGD_SETTINGS[name])
    train_against_reference(model, opt, reference_sgd, SGD_SETTINGS[name], dtype, rng, assert_close)


@pytest.mark.parametrize("name", ADAM_SETTINGS)
def test_adam_matches_numpy_reference(name, dtype, rng, assert_close):
    model = mlp(dtype)
    opt = dn.Adam(model.parameters(), **ADAM_SETTINGS[name])
    train_against_reference(model, opt, reference_adam, ADAM_SETTINGS[name], dtype, rng, assert_close)


def test_adamw_matches_numpy_reference(dtype, rng, assert_close):
    model = mlp(dtype)
    opt = dn.AdamW(model.parameters(), lr=0.01)  # torch's AdamW default weight_decay is 0.01
    settings = dict(lr=0.01, weight_decay=0.01, decoupled=True)
    train_against_reference(model, opt, reference_adam, settings, dtype, rng, assert_close)


def test_first_sgd_step_initialises_the_buffer_to_the_gradient():
    # PyTorch's momentum: v1 = g1 (not (1 - dampening) g1, nor lr * g1); p -= lr * v.
    layer = dn.Dense(2, 1, bias=False, dtype=np.float64, init="zeros")
    opt = dn.SGD(layer.parameters(), lr=0.5, momentum=0.9, dampening=0.5)
    layer.forward(np.array([[1.0, -2.0]]))
    layer.backward(np.array([[1.0]]))  # grad_weight = [1, -2]
    opt.step()
    np.testing.assert_array_equal(layer.weight, [[-0.5, 1.0]])
    opt.step()  # v2 = 0.9 v1 + 0.5 g = 1.4 g
    np.testing.assert_allclose(layer.weight, [[-0.5 - 0.7, 1.0 + 1.4]], rtol=1e-15)
    assert np.array_equal(opt.state_dict()["state"][0]["momentum_buffer"], [[1.4, -2.8]])


def test_param_groups_and_setting_changes_match_numpy_reference(rng, assert_close):
    # Two groups with their own settings; between steps, a new lr and betas changed in place (as a
    # scheduler would) apply from the next step on, with the state carried over.
    model = mlp(np.float64)
    p = model.parameters()
    opt = dn.Adam([{"params": p[:4]}, {"params": p[4:], "lr": 0.05, "betas": [0.8, 0.9]}], lr=0.01)
    settings = [dict(lr=0.01, betas=(0.9, 0.999)), dict(lr=0.05, betas=(0.8, 0.9))]
    states = [{}, {}]
    loss_fn = dn.MSELoss()
    x, y = rng.normal(size=(10, 6)), rng.normal(size=(10, 3))
    for step in range(8):
        if step == 4:
            opt.param_groups[0]["lr"] = settings[0]["lr"] = 0.002
            opt.param_groups[1]["betas"][0] = 0.5
            settings[1]["betas"] = (0.5, 0.9)
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        params, grads = model.parameters(), model.gradients()
        want = reference_adam(params[:4], grads[:4], states[0], **settings[0])
        want += reference_adam(params[4:], grads[4:], states[1], **settings[1])
        opt.step()
        for got, expected in zip(model.parameters(), want):
            assert_close(got, expected, np.float64)


# ---- against torch.optim -----------------------------------------------------------------------------

TORCH_CASES = {
    **{f"SGD-{k}": ("SGD", v) for k, v in SGD_SETTINGS.items()},
    **{f"Adam-{k}": ("Adam", v) for k, v in ADAM_SETTINGS.items()},
    "Adam-decoupled": ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    "AdamW": ("AdamW", dict(lr=0.01)),
    "SGD-maximize": ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.01, maximize=True)),
    "Adam-maximize": ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    "AdamW-maximize": ("AdamW", dict(lr=0.01, maximize=True)),
}


def torch_twin(torch, model):
    """torch.nn.Sequential with the same layers and weights as the densenn MLP above (float64)."""
    nn = torch.nn
    twin = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 5), nn.ReLU(), nn.Linear(5, 3)).double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("case", TORCH_CASES)
def test_optimizer_matches_torch_over_30_steps(case, torch, rng):
    name, settings = TORCH_CASES[case]
    model = mlp(np.float64, seed=4)
    twin = torch_twin(torch, model)
    opt = getattr(dn, name)(model.parameters(), **settings)
    torch_opt = getattr(torch.optim, name)(twin.parameters(), foreach=False, **settings)
    loss_fn, torch_loss = dn.SoftmaxCrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    x = rng.normal(size=(30, 16, 6))
    y = rng.integers(0, 3, (30, 16))
    for step in range(30):  # a new mini-batch every step, as in training
        loss = loss_fn.forward(model.forward(x[step]), y[step])
        model.backward(loss_fn.backward())
        opt.step()
        torch_opt.zero_grad()
        torch_value = torch_loss(twin(torch.from_numpy(x[step])), torch.from_numpy(y[step]))
        torch_value.backward()
        torch_opt.step()
        assert loss == pytest.approx(torch_value.item(), rel=1e-12, abs=1e-12)
        for key, p in model.state_dict().items():
            np.testing.assert_allclose(p, twin.state_dict()[key].numpy(), rtol=1e-12, atol=1e-12, err_msg=key)
    # The state matches torch's too (the optimizers really did the same thing, not just similar things).
    mine, theirs = opt.state_dict()["state"], torch_opt.state_dict()["state"]
    compared = 0
    for i in mine:
        for key, value in theirs.get(i, {}).items():
            if value is not None:
                np.testing.assert_allclose(mine[i][key], np.asarray(value), rtol=1e-12, atol=1e-15)
                compared += 1
    assert compared > 0 or case == "SGD-plain"  # plain SGD keeps no state, in torch as here


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_torch_implementation_flags_and_state_dicts_port_as_they_are(name, torch):
    # torch's implementation switches are taken and kept; a torch state dict's maximize is honoured.
    layer = dn.Dense(2, 2, seed=0, dtype=np.float64)
    flags = dict(foreach=False, differentiable=False, fused=None)
    opt = getattr(dn, name)(layer.parameters(), lr=0.1, **flags)
    assert all(opt.param_groups[0][k] == v for k, v in flags.items())
    w = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt.load_state_dict(getattr(torch.optim, name)([w, b], lr=0.1, maximize=True).state_dict())
    assert opt.param_groups[0]["maximize"] is True
    layer.grad_weight[...] = 1.0
    before = layer.weight.copy()
    opt.step()
    assert (layer.weight > before).all()  # ascent


def test_param_groups_and_lr_changes_match_torch(torch, rng):
    # Two groups with their own settings, and a learning-rate change half way (as a scheduler does).
    model = mlp(np.float64, seed=9)
    twin = torch_twin(torch, model)
    p, tp = model.parameters(), list(twin.parameters())
    opt = dn.SGD([{"params": p[:2]}, {"params": p[2:], "lr": 0.01, "nesterov": True}], lr=0.1, momentum=0.9)
    groups = [{"params": tp[:2]}, {"params": tp[2:], "lr": 0.01, "nesterov": True}]
    torch_opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9, foreach=False)
    loss_fn, torch_loss = dn.MSELoss(), torch.nn.MSELoss()
    x, y = rng.normal(size=(10, 6)), rng.normal(size=(10, 3))
    for step in range(12):
        if step == 6:
            for group in opt.param_groups + torch_opt.param_groups:
                group["lr"] *= 0.5
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        opt.step()
        torch_opt.zero_grad()
        torch_loss(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        torch_opt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[key].numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_float32_matches_torch(name, torch, rng):
    model = mlp(np.float32, seed=2)
    twin = torch_twin(torch, model).float()
    settings = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    opt = getattr(dn, name)(model.parameters(), **settings)
    torch_opt = getattr(torch.optim, name)(twin.parameters(), **settings)
    loss_fn, torch_loss = dn.SoftmaxCrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    x, y = rng.normal(size=(16, 6)).astype(np.float32), rng.integers(0, 3, 16)
    for _ in range(10):
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        opt.step()
        torch_opt.zero_grad()
        torch_loss(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        torch_opt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[key].numpy(), rtol=1e-4, atol=1e-5)


# ---- settings ------------------------------------------------------------------------------------------

INVALID = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.9), "Invalid momentum value: -0.9"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4), "Invalid weight_decay value"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1"),
    ("Adam", dict(betas=(-0.1, 0.999)), "Invalid beta parameter at index 0"),
    ("Adam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1"),
    ("Adam", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("Adam", dict(weight_decay=-0.01), "Invalid weight_decay value"),
]


@pytest.mark.parametrize(("name", "settings", "message"), INVALID)
def test_settings_torch_rejects_raise_value_error(name, settings, message):
    model = mlp(np.float32)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        getattr(dn, name)(model.parameters(), **settings)


@pytest.mark.parametrize(("name", "settings", "message"), INVALID)
def test_torch_rejects_the_same_settings(name, settings, message, torch):
    # The list above is torch.optim's: torch refuses each of these settings too.
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **settings)


@pytest.mark.parametrize(
    "settings", [dict(lr=float("nan")), dict(lr=float("inf")), dict(lr=0.1, momentum=float("nan"))]
)
def test_non_finite_settings_raise(settings):
    with pytest.raises(ValueError):
        dn.SGD(mlp(np.float32).parameters(), **settings)


@pytest.mark.parametrize(
    "settings", [dict(lr="0.1"), dict(lr=None), dict(lr=0.1, nesterov="yes"), dict(lr=[0.1]), dict(lr=True)]
)
def test_non_numeric_settings_raise_type_error(settings):
    with pytest.raises(TypeError):
        dn.SGD(mlp(np.float32).parameters(), **settings)


def test_adam_betas_must_be_a_pair():
    with pytest.raises(TypeError, match="betas"):
        dn.Adam(mlp(np.float32).parameters(), betas=0.9)


def test_edge_settings_torch_accepts_are_accepted():
    params = mlp(np.float32).parameters()
    dn.SGD(params, lr=0.0, momentum=0.0)
    dn.Adam(params, lr=0.0, betas=(0.0, 0.0), eps=0.0)


def test_bad_setting_in_param_groups_fails_at_step_and_changes_nothing(rng):
    model = mlp(np.float64)
    opt = dn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = dn.MSELoss()
    loss_fn.forward(model.forward(rng.normal(size=(4, 6))), rng.normal(size=(4, 3)))
    model.backward(loss_fn.backward())
    before = model.state_dict()
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    opt.param_groups[0]["lr"] = 0.1
    opt.step()
    assert not np.array_equal(model.state_dict()["0.weight"], before["0.weight"])


# ---- which arrays an optimizer takes --------------------------------------------------------------------


def test_non_parameters_raise_type_error(torch):
    model = mlp(np.float32)
    w = model[0].weight
    not_parameters = {
        "copy": w.copy(),
        "slice": w[:2],
        "reshaped view": w.reshape(-1),
        "plain array": np.zeros((8, 6), np.float32),
        "list": [[0.0] * 6] * 8,
        "tensor": torch.zeros(8, 6),
        "gradient": model[0].grad_weight,
    }
    for value in not_parameters.values():
        with pytest.raises(TypeError, match="not a densenn parameter|optimizers take the arrays"):
            dn.Adam([value])
        with pytest.raises(TypeError):
            dn.SGD([w, value], lr=0.1)  # one bad array refuses the whole list
    with pytest.raises(TypeError, match="params must be a list"):
        dn.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        dn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        dn.SGD([w, model[0].weight], lr=0.1)


def test_an_optimizer_over_part_of_the_model_updates_only_that_part(rng):
    model = mlp(np.float64)
    opt = dn.SGD(model[-1].parameters(), lr=0.1)
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    before = model.state_dict()
    loss_fn.forward(model.forward(rng.normal(size=(8, 6))), rng.integers(0, 3, 8))
    model.backward(loss_fn.backward())
    opt.step()
    after = model.state_dict()
    assert all(np.array_equal(after[k], before[k]) for k in ["0.weight", "0.bias", "2.weight", "2.bias"])
    want = before["4.weight"] - 0.1 * model[-1].grad_weight
    np.testing.assert_allclose(after["4.weight"], want, rtol=1e-15)


def test_step_updates_the_layer_buffers_in_place(rng):
    model = mlp(np.float32)
    weight = model[0].weight
    opt = dn.Adam(model.parameters(), lr=0.1)
    model.backward(model.forward(rng.normal(size=(3, 6))))
    before = weight.copy()
    opt.step()
    assert weight is model[0].weight and np.shares_memory(weight, model.parameters()[0])
    assert not np.array_equal(weight, before)
    np.testing.assert_array_equal(model.predict(np.ones(6)), model.predict(np.ones((1, 6)))[0])


def test_zero_grad_zeroes_the_gradient_buffers(rng):
    model = mlp(np.float32)
    opt = dn.SGD(model.parameters(), lr=0.1)
    model.backward(model.forward(rng.normal(size=(3, 6))))
    assert any(np.any(g != 0) for g in model.gradients())
    opt.zero_grad()
    assert all(np.all(g == 0) for g in model.gradients())


def test_the_optimizer_keeps_its_layers_alive(rng):
    layer = dn.Dense(4, 3, dtype=np.float64, seed=1)
    opt = dn.SGD(layer.parameters(), lr=0.5)
    layer.forward(np.ones((1, 4)))
    layer.backward(np.ones((1, 3)))
    weight = layer.weight
    del layer
    gc.collect()
    before = weight.copy()
    opt.step()  # the buffers still exist: the optimizer holds them
    np.testing.assert_array_equal(weight, before - 0.5)


def test_one_optimizer_over_float32_and_float64_models(rng):
    a, b = mlp(np.float32), mlp(np.float64)
    opt = dn.Adam(a.parameters() + b.parameters(), lr=0.01)
    for model in (a, b):
        model.backward(model.forward(rng.normal(size=(2, 6))))
    before = [p.copy() for p in a.parameters() + b.parameters()]
    opt.step()
    assert all(not np.array_equal(p, q) for p, q in zip(a.parameters() + b.parameters(), before))


# ---- state dicts ----------------------------------------------------------------------------------------


def run_steps(model, opt, x, y, steps):
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    for _ in range(steps):
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        opt.step()


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_state_dict_resumes_bitwise(name, rng):
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, 8)
    make = {"SGD": lambda p: dn.SGD(p, lr=0.1, momentum=0.9), "Adam": lambda p: dn.Adam(p, lr=0.01)}[name]
    a = mlp(np.float64)
    opt_a = make(a.parameters())
    run_steps(a, opt_a, x, y, 3)
    b = mlp(np.float64, seed=7)
    b.load_state_dict(a.state_dict())
    opt_b = make(b.parameters())
    opt_b.load_state_dict(opt_a.state_dict())
    run_steps(a, opt_a, x, y, 4)
    run_steps(b, opt_b, x, y, 4)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key])


def test_state_dict_layout_and_bad_loads_change_nothing(rng):
    model = mlp(np.float64)
    opt = dn.Adam(model.parameters(), lr=0.01)
    run_steps(model, opt, rng.normal(size=(4, 6)), rng.integers(0, 3, 4), 2)
    state = opt.state_dict()
    assert state["param_groups"][0]["params"] == [0, 1, 2, 3, 4, 5] and state["param_groups"][0]["lr"] == 0.01
    assert state["state"][0]["step"] == 2 and state["state"][0]["exp_avg"].shape == (8, 6)
    assert "max_exp_avg_sq" not in state["state"][0]

    bad_shape = {**state, "state": {**state["state"], 1: {**state["state"][1], "exp_avg": np.zeros(3)}}}
    bad_lr = {**state, "param_groups": [{**state["param_groups"][0], "lr": -1.0}]}
    bad_count = {**state, "param_groups": [{**state["param_groups"][0], "params": [0, 1]}]}
    for bad in (bad_shape, bad_lr, bad_count, {"state": {}}):
        with pytest.raises(ValueError):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        assert after["param_groups"] == state["param_groups"]
        for i, entry in state["state"].items():
            for key, value in entry.items():
                np.testing.assert_array_equal(after["state"][i][key], value)


def test_repr_lists_the_settings():
    text = repr(dn.SGD(mlp(np.float32).parameters(), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text


# ---- seeded initialisation: the same seed gives the same weights in Python and in C++ ------------------

# The C++ test tests/cpp/test_optimizers.cpp (seeded_init_known_values) checks Dense<T>(3, 2, 42)
# against these same numbers, so both languages are pinned to one sequence.
KNOWN_WEIGHTS = {
    "he": [
        0.6832486555042502,
        -0.9619186696311943,
        -0.6262105685745144,
        -0.440695203671812,
        -1.3066480021151936,
        1.0415062797973285,
    ],
    "xavier": [
        0.5292421328173138,
        -0.7450989975775218,
        -0.48506062066163436,
        -0.3413610369148827,
        -1.0121251903094675,
        0.806747295325099,
    ],
}


def splitmix64_weights(n_in, n_out, seed, init):
    """The documented init, written independently: SplitMix64, uniform in [-1, 1), times the bound."""
    mask, state, out = 2**64 - 1, seed, []
    bound = math.sqrt(6.0 / (n_in if init == "he" else n_in + n_out))
    for _ in range(n_in * n_out):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out.append(bound * (2.0 * ((z >> 11) * 2.0**-53) - 1.0))
    return np.array(out).reshape(n_out, n_in)


@pytest.mark.parametrize("init", ["he", "xavier"])
def test_seeded_weights_known_values(init):
    weight = dn.Dense(3, 2, init=init, dtype=np.float64, seed=42).weight
    np.testing.assert_array_equal(weight.ravel(), KNOWN_WEIGHTS[init])
    np.testing.assert_array_equal(
        dn.Dense(3, 2, init=init, seed=42).weight.ravel(), np.float32(KNOWN_WEIGHTS[init])
    )


@pytest.mark.parametrize("init", ["he", "xavier"])
@pytest.mark.parametrize(("n_in", "n_out", "seed"), [(7, 13, 0), (64, 10, 2**64 - 1), (1, 1, 12345)])
def test_seeded_weights_follow_the_documented_generator(init, n_in, n_out, seed):
    want = splitmix64_weights(n_in, n_out, seed, init)
    np.testing.assert_array_equal(dn.Dense(n_in, n_out, init=init, dtype=np.float64, seed=seed).weight, want)
    np.testing.assert_array_equal(dn.Dense(n_in, n_out, init=init, seed=seed).weight, want.astype(np.float32))
    np.testing.assert_array_equal(dn.Dense(n_in, n_out, init="zeros", seed=seed).weight, 0)


def test_positional_settings_follow_the_specification():
    # SGD(params, lr, momentum, weight_decay, nesterov): the fourth is weight_decay, not dampening.
    layer = dn.Dense(3, 2, seed=0)
    opt = dn.SGD(layer.parameters(), 0.1, 0.9, 0.01, True)
    group = opt.param_groups[0]
    settings = (group["lr"], group["momentum"], group["weight_decay"], group["nesterov"])
    assert settings == (0.1, 0.9, 0.01, True)
    assert group["dampening"] == 0.0
    adam = dn.Adam(layer.parameters(), 0.01, (0.8, 0.9), 1e-6, 0.1)
    group = adam.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"]) == (0.01, (0.8, 0.9), 1e-6, 0.1)
