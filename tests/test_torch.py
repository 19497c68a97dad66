"""Agreement with PyTorch: nn.Linear, the activations, the losses and a whole training step, both dtypes."""

import numpy as np
import pytest

import densenn as dn

TORCH_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


def tensor(torch, array, dtype, grad=False):
    t = torch.tensor(np.asarray(array), dtype=getattr(torch, TORCH_DTYPES[np.dtype(dtype)]))
    return t.requires_grad_(grad)


@pytest.mark.parametrize(("batch", "n_in", "n_out"), [(1, 1, 1), (7, 13, 5), (5, 4, 1)])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_dense_matches_linear(batch, n_in, n_out, bias, dtype, rng, torch, assert_close):
    layer = dn.Dense(n_in, n_out, bias=bias, dtype=dtype, seed=0)
    if bias:
        layer.bias[...] = rng.uniform(-1, 1, n_out)
    linear = torch.nn.Linear(n_in, n_out, bias=bias, dtype=getattr(torch, TORCH_DTYPES[dtype]))
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(layer.weight.copy()))
        if bias:
            linear.bias.copy_(torch.from_numpy(layer.bias.copy()))
    x = rng.normal(size=(batch, n_in)).astype(dtype)
    dy = rng.normal(size=(batch, n_out)).astype(dtype)

    xt = tensor(torch, x, dtype, grad=True)
    yt = linear(xt)
    yt.backward(tensor(torch, dy, dtype))
    assert_close(layer.forward(x), yt.detach().numpy(), dtype)
    assert_close(layer.backward(dy), xt.grad.numpy(), dtype)
    assert_close(layer.grad_weight, linear.weight.grad.numpy(), dtype)
    if bias:
        assert_close(layer.grad_bias, linear.bias.grad.numpy(), dtype)


ACTIVATIONS = {
    "relu": (dn.ReLU, lambda nn: nn.ReLU()),
    "leaky_relu": (dn.LeakyReLU, lambda nn: nn.LeakyReLU()),
    "leaky_relu-0.3": (lambda: dn.LeakyReLU(0.3), lambda nn: nn.LeakyReLU(0.3)),
    "sigmoid": (dn.Sigmoid, lambda nn: nn.Sigmoid()),
    "tanh": (dn.Tanh, lambda nn: nn.Tanh()),
    "softmax": (dn.Softmax, lambda nn: nn.Softmax(dim=-1)),
}


@pytest.mark.parametrize("shape", [(7, 13), (1, 1), (4,)], ids=["7x13", "1x1", "1-d"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name, shape, dtype, rng, torch, assert_close):
    make, make_torch = ACTIVATIONS[name]
    x = rng.normal(scale=3.0, size=shape).astype(dtype)
    x.flat[::5] = 0.0
    dy = rng.normal(size=shape).astype(dtype)
    xt = tensor(torch, x, dtype, grad=True)
    yt = make_torch(torch.nn)(xt)
    yt.backward(tensor(torch, dy, dtype))
    layer = make()
    assert_close(layer.forward(x), yt.detach().numpy(), dtype)
    assert_close(layer.backward(dy), xt.grad.numpy(), dtype)


def loss_cases(rng, dtype):
    logits = rng.normal(scale=3.0, size=(7, 5)).astype(dtype)
    probs = rng.uniform(size=(7, 5))
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(dtype)
    return {
        "mse": (dn.MSELoss, "MSELoss", logits, rng.normal(size=(7, 5)).astype(dtype)),
        "ce-labels": (dn.SoftmaxCrossEntropyLoss, "CrossEntropyLoss", logits, rng.integers(0, 5, 7)),
        "ce-probabilities": (dn.SoftmaxCrossEntropyLoss, "CrossEntropyLoss", logits, probs),
        "ce-huge-logits": (
            dn.SoftmaxCrossEntropyLoss,
            "CrossEntropyLoss",
            1e4 * np.sign(logits),
            np.arange(7) % 5,
        ),
        "bce": (dn.BCEWithLogitsLoss, "BCEWithLogitsLoss", logits, rng.integers(0, 2, (7, 5)).astype(dtype)),
        "bce-soft": (
            dn.BCEWithLogitsLoss,
            "BCEWithLogitsLoss",
            logits,
            rng.uniform(size=(7, 5)).astype(dtype),
        ),
        "bce-huge-logits": (dn.BCEWithLogitsLoss, "BCEWithLogitsLoss", 1e4 * np.sign(logits), probs),
    }


LOSS_NAMES = ["mse", "ce-labels", "ce-probabilities", "ce-huge-logits", "bce", "bce-soft", "bce-huge-logits"]


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_matches_torch(name, dtype, rng, torch, assert_close):
    make, torch_name, pred, target = loss_cases(rng, dtype)[name]
    pred = pred.astype(dtype)
    predt = tensor(torch, pred, dtype, grad=True)
    targett = (
        torch.from_numpy(np.asarray(target, dtype=np.int64))
        if target.dtype.kind == "i"
        else tensor(torch, target, dtype)
    )
    value_t = getattr(torch.nn, torch_name)()(predt, targett)
    value_t.backward()
    loss = make()
    assert_close(loss.forward(pred, target), value_t.item(), dtype)
    assert_close(loss.backward(), predt.grad.numpy(), dtype)


@pytest.mark.parametrize("loss_name", ["ce", "mse"])
def test_training_step_matches_torch(loss_name, dtype, rng, torch, assert_close):
    model = dn.Sequential(
        dn.Dense(6, 8, dtype=dtype, seed=0),
        dn.Tanh(),
        dn.Dense(8, 7, dtype=dtype, seed=1),
        dn.LeakyReLU(0.05),
        dn.Dense(7, 3, dtype=dtype, seed=2),
    )
    for layer in model:
        if isinstance(layer, dn.Dense):
            layer.bias[...] = rng.uniform(-0.5, 0.5, layer.out_features)
    tdtype = getattr(torch, TORCH_DTYPES[dtype])
    reference = torch.nn.Sequential(
        torch.nn.Linear(6, 8, dtype=tdtype),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 7, dtype=tdtype),
        torch.nn.LeakyReLU(0.05),
        torch.nn.Linear(7, 3, dtype=tdtype),
    )
    # densenn's state-dict keys are torch.nn.Sequential's: a strict load must accept them.
    reference.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()}, strict=True)

    x = rng.normal(size=(9, 6)).astype(dtype)
    if loss_name == "ce":
        target = rng.integers(0, 3, 9)
        loss_fn, loss_t, target_t = (
            dn.SoftmaxCrossEntropyLoss(),
            torch.nn.CrossEntropyLoss(),
            torch.from_numpy(target),
        )
    else:
        target = rng.normal(size=(9, 3)).astype(dtype)
        loss_fn, loss_t, target_t = dn.MSELoss(), torch.nn.MSELoss(), tensor(torch, target, dtype)

    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    optimizer.zero_grad()
    value_t = loss_t(reference(tensor(torch, x, dtype)), target_t)
    value_t.backward()
    optimizer.step()

    value = loss_fn.forward(model.forward(x), target)
    model.backward(loss_fn.backward())
    grads = {name: g.copy() for (name, _), g in zip(model.named_parameters(), model.gradients())}
    model.step(0.1)

    assert_close(value, value_t.item(), dtype)
    torch_params = dict(reference.named_parameters())
    for name, param in model.named_parameters():
        assert_close(grads[name], torch_params[name].grad.numpy(), dtype)
        assert_close(param, torch_params[name].detach().numpy(), dtype)
