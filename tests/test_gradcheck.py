"""Gradient checks: dn.gradcheck on whole nets, that it catches a wrong backward, our own differences."""

import numpy as np
import pytest

import densenn as dn

BATCH, N_IN, N_OUT = 5, 4, 3


def net(dtype=np.float64, last=None):
    """Dense/Tanh/Dense/Sigmoid/Dense/LeakyReLU/Dense, plus an optional last activation."""
    layers = [
        dn.Dense(N_IN, 6, dtype=dtype, seed=0),
        dn.Tanh(),
        dn.Dense(6, 5, dtype=dtype, seed=1),
        dn.Sigmoid(),
        dn.Dense(5, 4, dtype=dtype, seed=2),
        dn.LeakyReLU(0.1),
        dn.Dense(4, N_OUT, dtype=dtype, seed=3),
    ]
    model = dn.Sequential(*layers, *([last] if last is not None else []))
    rng = np.random.default_rng(1)
    for layer in model:
        if isinstance(layer, dn.Dense):
            layer.bias[...] = rng.uniform(-0.5, 0.5, layer.out_features)
    return model


def problem(kind):
    """(loss, target, last activation) for each loss the library has."""
    rng = np.random.default_rng(2)
    if kind == "mse":
        return dn.MSELoss(), rng.normal(size=(BATCH, N_OUT)), None
    if kind == "mse-softmax":
        return dn.MSELoss(), rng.uniform(size=(BATCH, N_OUT)), dn.Softmax()
    if kind == "ce-labels":
        return dn.SoftmaxCrossEntropyLoss(), np.array([0, 2, 1, 1, 0]), None
    if kind == "ce-probabilities":
        p = rng.uniform(size=(BATCH, N_OUT))
        return dn.SoftmaxCrossEntropyLoss(), p / p.sum(axis=1, keepdims=True), None
    if kind == "bce":
        return dn.BCEWithLogitsLoss(), rng.integers(0, 2, (BATCH, N_OUT)).astype(float), None
    if kind == "bce-sigmoid":  # BCE after a sigmoid layer: a saturating chain
        return dn.BCEWithLogitsLoss(), rng.uniform(size=(BATCH, N_OUT)), dn.Sigmoid()
    raise ValueError(kind)


KINDS = ["mse", "mse-softmax", "ce-labels", "ce-probabilities", "bce", "bce-sigmoid"]
PARAM_NAMES = [f"{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gradcheck_reports_small_errors(kind, dtype):
    loss, target, last = problem(kind)
    model = net(dtype, last)
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    errors = dn.gradcheck(model, x, target, loss)
    assert list(errors) == PARAM_NAMES
    assert all(isinstance(e, float) for e in errors.values())
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-6, f"{worst}: {errors[worst]:.3g}"


def test_gradcheck_leaves_the_model_untouched():
    model = net()
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    model.forward(x)
    model.backward(np.ones((BATCH, N_OUT)))
    before = [a.copy() for a in model.parameters() + model.gradients()]
    dn.gradcheck(model, x, np.zeros((BATCH, N_OUT)), dn.MSELoss())
    after = model.parameters() + model.gradients()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(after, before))


class WrongTanh(dn.Tanh):
    """Tanh whose backward is off by a factor of 1.5: the kind of bug gradcheck is for."""

    def backward(self, grad_out):
        return 1.5 * super().backward(grad_out)


def test_gradcheck_catches_a_wrong_backward():
    model = dn.Sequential(
        dn.Dense(N_IN, 6, dtype=np.float64, seed=0),
        WrongTanh(),
        dn.Dense(6, N_OUT, dtype=np.float64, seed=1),
    )
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    errors = dn.gradcheck(model, x, np.zeros((BATCH, N_OUT)), dn.MSELoss())
    # Below the broken layer every gradient is 1.5 times too large (relative error 1/3).
    assert errors["0.weight"] > 0.3 and errors["0.bias"] > 0.3
    # Above it, nothing is wrong.
    assert errors["2.weight"] < 1e-6 and errors["2.bias"] < 1e-6


class WrongDense(dn.Dense):
    """A Dense subclass whose weight gradient is 1.5 times too large."""

    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.grad_weight[...] *= 1.5
        return grad_in


class Square:
    """A layer of one's own, not a dn.Layer: y = x^2 (a wrong backward with factor != 1)."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def forward(self, x):
        self.x = np.asarray(x)
        return self.x**2

    def backward(self, grad):
        return self.factor * 2 * self.x * grad


def test_gradcheck_runs_a_subclass_of_a_densenn_layer_with_its_own_methods():
    # The float64 twin keeps the subclass (and its attributes): its wrong backward is caught.
    model = dn.Sequential(WrongDense(N_IN, 6, seed=0), dn.Tanh(), dn.Dense(6, N_OUT, seed=1))
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    errors = dn.gradcheck(model, x, np.zeros((BATCH, N_OUT)), "mse")
    assert errors["0.weight"] > 0.3 and errors["0.bias"] < 1e-6 and errors["2.weight"] < 1e-6


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_gradcheck_takes_layers_of_ones_own(factor):
    model = dn.Sequential(dn.Dense(N_IN, 6, seed=0), Square(factor), dn.Dense(6, N_OUT, seed=1))
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    errors = dn.gradcheck(model, x, np.array([0, 2, 1, 1, 0]), "cross_entropy")
    assert list(errors) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert errors["2.weight"] < 1e-6
    assert (errors["0.weight"] > 0.3) == (factor != 1.0)
    assert model[1].factor == factor and not hasattr(model[1], "x")  # the model's own layer unused


def test_gradients_that_are_rightly_zero_report_near_zero():
    # Target = output: the gradients vanish and the finite differences are rounding noise.
    model = net()
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    errors = dn.gradcheck(model, x, model.predict(x), dn.MSELoss())
    assert max(errors.values()) < 1e-6


# ---- the loss as fit takes it: an instance, its class or its name -------------------------------------

LOSS_NAMES = {
    dn.MSELoss: "mse",
    dn.SoftmaxCrossEntropyLoss: "cross_entropy",
    dn.BCEWithLogitsLoss: "bce_with_logits",
}


@pytest.mark.parametrize("form", ["class", "name"])
@pytest.mark.parametrize("kind", ["mse", "ce-labels", "ce-probabilities", "bce"])
def test_gradcheck_takes_a_loss_class_or_name_as_fit_does(kind, form):
    loss, target, last = problem(kind)
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    given = type(loss) if form == "class" else LOSS_NAMES[type(loss)]
    errors = dn.gradcheck(net(np.float64, last), x, target, given)
    # Bitwise the errors of the instance: the same loss ran (another would round differently).
    assert errors == dn.gradcheck(net(np.float64, last), x, target, loss)
    assert list(errors) == PARAM_NAMES and max(errors.values()) < 1e-6
    # ... and it still finds a wrong backward.
    wrong = dn.Sequential(dn.Dense(N_IN, 6, seed=0), WrongTanh(), dn.Dense(6, N_OUT, seed=1))
    assert dn.gradcheck(wrong, x, target, given)["0.weight"] > 0.3


@pytest.mark.parametrize("loss", ["cross-entropy", "nll", None, 1.0, dn.Dense])
def test_gradcheck_refuses_what_fit_refuses(loss):
    model = net()
    before = [a.copy() for a in model.parameters()]
    x, y = np.ones((2, N_IN)), np.zeros((2, N_OUT))
    with pytest.raises(TypeError, match="loss must be a densenn loss") as refused:
        dn.gradcheck(model, x, y, loss)
    with pytest.raises(TypeError) as by_fit:
        model.fit(x, y, loss=loss, progress=False)
    assert str(refused.value) == str(by_fit.value)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(model.parameters(), before))


def test_gradcheck_leaves_the_callers_loss_instance_as_it_was():
    loss, target, _ = problem("mse")
    model = net()
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    loss.forward(model.forward(x[:2]), target[:2])
    want = loss.backward()
    dn.gradcheck(model, x, target, loss)
    assert loss.backward().tobytes() == want.tobytes()  # still the gradient of its own last forward


class OwnMSE:
    """A loss of one's own, not a dn.Loss: any object with forward and backward."""

    def __init__(self, factor=1.0):
        self.factor = factor  # 1.0: the right gradient

    def forward(self, pred, target):
        self.diff = np.asarray(pred) - np.asarray(target)
        return float(np.mean(self.diff**2))

    def backward(self):
        return self.factor * 2 * self.diff / self.diff.size


def test_gradcheck_still_takes_a_loss_of_ones_own():
    _, target, _ = problem("mse")
    x = np.random.default_rng(3).normal(size=(BATCH, N_IN))
    assert max(dn.gradcheck(net(), x, target, OwnMSE()).values()) < 1e-6
    assert min(dn.gradcheck(net(), x, target, OwnMSE(factor=1.5)).values()) > 0.3


# ---- our own central differences over the public API, in float64 -----------------------------------


def loss_value(model, loss, x, target):
    return loss.forward(model.predict(x), target)


def numeric_gradient(f, array, eps=1e-6):
    """Central differences of f() with respect to every entry of `array` (changed in place, then restored)."""
    grad = np.zeros(array.shape)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        array[idx] = old + eps
        up = f()
        array[idx] = old - eps
        down = f()
        array[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def relative_error(numeric, analytic):
    return np.max(np.abs(numeric - analytic)) / max(np.max(np.abs(numeric)), np.max(np.abs(analytic)))


@pytest.mark.parametrize("kind", KINDS)
def test_input_gradient_matches_finite_differences(kind):
    loss, target, last = problem(kind)
    model = net(np.float64, last)
    x = np.random.default_rng(4).normal(size=(BATCH, N_IN))
    loss.forward(model.forward(x), target)
    dx = model.backward(loss.backward())
    numeric = numeric_gradient(lambda: loss_value(model, loss, x, target), x)
    assert relative_error(numeric, dx) < 1e-6


@pytest.mark.parametrize("kind", ["mse", "ce-labels", "bce"])
def test_parameter_gradients_match_finite_differences_through_the_views(kind):
    """The same check as gradcheck, written independently: perturb layer.weight/bias in place."""
    loss, target, last = problem(kind)
    model = net(np.float64, last)
    x = np.random.default_rng(4).normal(size=(BATCH, N_IN))
    loss.forward(model.forward(x), target)
    model.backward(loss.backward())
    analytic = [g.copy() for g in model.gradients()]
    for (name, param), grad in zip(model.named_parameters(), analytic):
        numeric = numeric_gradient(lambda: loss_value(model, loss, x, target), param)
        assert relative_error(numeric, grad) < 1e-6, name


def test_one_sample_and_one_dimensional_input():
    model = net()
    x = np.random.default_rng(5).normal(size=N_IN)
    loss = dn.SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(x), 2)
    dx = model.backward(loss.backward())
    assert dx.shape == (N_IN,)
    numeric = numeric_gradient(lambda: loss.forward(model.predict(x), 2), x)
    assert relative_error(numeric, dx) < 1e-6


@pytest.mark.parametrize("eps", [0.0, -1e-6, float("nan"), float("inf"), "1e-6"])
def test_gradcheck_refuses_a_bad_eps(eps):
    model = dn.Sequential(dn.Dense(2, 2, seed=0))
    with pytest.raises(ValueError, match="eps"):
        dn.gradcheck(model, np.ones((2, 2)), np.zeros((2, 2)), dn.MSELoss(), eps=eps)
