"""Agreement with PyTorch where plain formulas leave room: ReLU's gradient at NaN, long batch sums."""

import numpy as np

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
