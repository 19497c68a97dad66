"""Agreement with PyTorch where plain formulas leave room: ReLU's gradient at NaN, long batch sums,
small losses next to large logits, infinite logits, optimizer constants rounded to float32."""

import numpy as np
import pytest

import densenn as dn


def test_relu_gradient_at_nan_and_zero_matches_torch(torch):
    x = np.array([np.nan, -0.0, 0.0, -1.0, 2.0, np.inf, -np.inf])
    relu = dn.ReLU()
    relu.forward(x)
    got = relu.backward(np.full_like(x, 3.0))
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.full_like(xt, 3.0))
    np.testing.assert_array_equal(got, xt.grad.numpy())
    np.testing.assert_array_equal(got, [3, 0, 0, 0, 3, 3, 0])


def test_float32_bias_gradient_of_a_long_batch_matches_torch(torch, rng):
    # A plain running sum over 4096 rows drifts ~20 times further from the exact sum than torch's.
    batch, n_in, n_out = 4096, 4, 16
    layer = dn.Dense(n_in, n_out, seed=0)
    x = rng.normal(size=(batch, n_in)).astype(np.float32)
    dy = (0.3 + rng.normal(size=(batch, n_out))).astype(np.float32)
    layer.forward(x)
    layer.backward(dy)
    exact = dy.astype(np.float64).sum(axis=0)
    linear = torch.nn.Linear(n_in, n_out)
    linear(torch.from_numpy(x)).backward(torch.from_numpy(dy))
    torch_error = np.abs(linear.bias.grad.numpy() - exact).max()
    error = np.abs(layer.grad_bias - exact).max()
    assert error <= 4 * torch_error + 1e-5
    torch.testing.assert_close(torch.from_numpy(layer.grad_bias.copy()), linear.bias.grad)


def test_bfloat16_tensors_are_read_exactly(torch):
    # NumPy has no bfloat16: such a tensor is read through float32, which holds its values exactly.
    xt = torch.tensor([[1.5, -2.25, 0.1]], dtype=torch.bfloat16)
    exact = xt.float().numpy()
    layer = dn.Dense(3, 2, seed=0)
    np.testing.assert_array_equal(layer.forward(xt), layer.forward(exact))
    got = dn.ReLU().forward(xt)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.maximum(exact, 0))


@pytest.mark.parametrize(
    ("logits", "label"),
    [([[12.0, 0.0, -3.0]], 0), ([[1e6 + 1, 1e6, 1e6 - 2]], 1), ([[30.0, 0.0]], 0), ([[-5.0, 40.0, 39.5]], 1)],
)
def test_cross_entropy_keeps_the_digits_of_a_small_loss_next_to_large_logits(torch, logits, label):
    # (max - z[label]) + log(sum), as torch's log_softmax: log-sum-exp minus z[label] would cancel.
    z = np.array(logits)
    loss = dn.SoftmaxCrossEntropyLoss()
    expected = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor([label])).item()
    assert loss.forward(z, [label]) == pytest.approx(expected, rel=1e-13, abs=0)
    onehot = np.eye(z.shape[1])[[label]]
    assert loss.forward(z, onehot) == pytest.approx(expected, rel=1e-13, abs=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_at_infinite_logits_matches_torch(torch, dtype):
    z = np.array([np.inf, -np.inf, 3.0, -3.0, 0.0, 1e30, -1e30], dtype=dtype)
    loss = dn.BCEWithLogitsLoss()
    for t in (0.0, 0.5, 1.0):
        target = np.full_like(z, t)
        for k in range(z.size):  # one element at a time: a NaN or inf anywhere decides the mean
            got = loss.forward(z[k : k + 1], target[k : k + 1])
            expected = torch.nn.functional.binary_cross_entropy_with_logits(
                torch.tensor(z[k : k + 1]), torch.tensor(target[k : k + 1])
            ).item()
            np.testing.assert_allclose(
                got, expected, rtol=1e-6 if dtype == np.float32 else 1e-14, equal_nan=True
            )


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.9, 0.9999), (0.8, 0.99999)])
def test_float32_adam_rounds_one_minus_beta_as_torch_does(torch, betas):
    # 1 - float32(0.999) is 0.0009999871: torch computes 1 - beta2 in double, then rounds it. Rounded
    # the other way, the first steps were 6.6e-6 (0.999) to 6.8e-4 (0.99999) away, relatively.
    layer = dn.Dense(3, 2, init="zeros", bias=False)
    opt = dn.Adam([layer.weight], lr=1e-3, betas=betas)
    w = torch.zeros(2, 3, requires_grad=True)
    opt_t = torch.optim.Adam([w], lr=1e-3, betas=betas)
    grads = np.linspace(-1.0, 2.0, 6, dtype=np.float32).reshape(2, 3)
    for step in range(3):
        layer.grad_weight[...] = grads * (step + 1)
        w.grad = torch.from_numpy(grads * (step + 1))
        opt.step()
        opt_t.step()
        torch.testing.assert_close(torch.from_numpy(layer.weight.copy()), w.detach(), rtol=1e-6, atol=0)
    state = opt.state_dict()["state"][0]
    for key in ("exp_avg", "exp_avg_sq"):
        torch.testing.assert_close(
            torch.as_tensor(np.asarray(state[key])), opt_t.state[w][key], rtol=1e-6, atol=0
        )


def test_torch_dtypes_and_tensor_learning_rates_are_taken(torch):
    layer = dn.Dense(2, 2, dtype=torch.float64, seed=0)
    assert layer.weight.dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        dn.Dense(2, 2, dtype=torch.int32)
    model = dn.Sequential(layer)
    model.forward(np.ones((1, 2)))
    model.backward(np.ones((1, 2)))
    before = layer.weight.copy()
    model.step(torch.tensor(0.5))
    np.testing.assert_array_equal(layer.weight, before - 0.5 * layer.grad_weight)
    after_one = layer.weight.copy()
    dn.SGD(model.parameters(), lr=torch.tensor(0.5)).step()
    np.testing.assert_array_equal(layer.weight, after_one - 0.5 * layer.grad_weight)
    with pytest.raises(TypeError, match="lr must be a real number"):
        model.step(torch.tensor([0.1, 0.2]))


@pytest.mark.parametrize("batch", [1, 16])
def test_a_very_wide_float32_layer_agrees_with_torch(torch, rng, batch):
    # 50000 products per output: summed in blocks, as BLAS sums, the error stays torch's size
    # (one running sum was 12 times further from the exact value, and assert_close failed).
    layer = dn.Dense(50000, 8, seed=0)
    layer.bias[...] = rng.normal(size=8)
    x = rng.normal(size=(batch, 50000)).astype(np.float32)
    linear = torch.nn.Linear(50000, 8)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(layer.weight))
        linear.bias.copy_(torch.from_numpy(layer.bias))
    torch.testing.assert_close(torch.from_numpy(layer.forward(x)), linear(torch.from_numpy(x)).detach())
    dy = rng.normal(size=(batch, 8)).astype(np.float32)
    grad_in = layer.backward(dy)
    xt = torch.from_numpy(x).requires_grad_()
    linear(xt).backward(torch.from_numpy(dy))
    torch.testing.assert_close(torch.from_numpy(grad_in), xt.grad)
    torch.testing.assert_close(torch.from_numpy(layer.grad_weight.copy()), linear.weight.grad)
