"""Shared fixtures: the dtypes under test, the one place their tolerances live, and an optional torch."""

import os

import numpy as np
import pytest

# (rtol, atol) per dtype: float64 results must match the float64 reference to rounding; float32
# results carry float32 rounding of sums over a few dozen terms.
TOLERANCES = {
    np.dtype(np.float64): (1e-12, 1e-12),
    np.dtype(np.float32): (1e-5, 1e-5),
}


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    """Each test that takes ``dtype`` runs for float32 and float64."""
    return np.dtype(request.param)


@pytest.fixture
def assert_close():
    """``assert_close(actual, expected, dtype)``: same shape, and equal within ``dtype``'s tolerance."""

    def check(actual, expected, dtype):
        rtol, atol = TOLERANCES[np.dtype(dtype)]
        actual, expected = np.asarray(actual), np.asarray(expected)
        assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)

    return check


@pytest.fixture
def torch():
    """The torch module, or a skip saying why the PyTorch cross-checks did not run."""
    if os.environ.get("DENSENN_SKIP_TORCH"):  # e.g. under a sanitizer, which torch's libraries trip
        pytest.skip("DENSENN_SKIP_TORCH is set: the PyTorch cross-checks are skipped")
    return pytest.importorskip("torch", reason="torch is not installed: the PyTorch cross-checks are skipped")


@pytest.fixture
def rng():
    """A fixed-seed generator, so every run sees the same data."""
    return np.random.default_rng(20240611)
