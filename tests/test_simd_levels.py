"""The dense kernels at every SIMD level (DENSENN_SIMD=scalar|avx2|avx512) against the NumPy reference.

The level is chosen once per process, so each level runs in a child process; the child also checks
that 1 and 2 threads give the same bits. A level the CPU lacks falls back to the best it has, so
the test is meaningful (if redundant) on any machine.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from reference import dense_backward, dense_forward

# Awkward shapes (batch, in, out): ones, primes, a single row (the unpacked paths), sizes around
# the register tiles and one large enough to be split over two threads.
SHAPES = [(1, 1, 1), (1, 16, 64), (1, 64, 1), (2, 7, 13), (3, 33, 17), (13, 31, 29), (64, 300, 70)]

CHILD = r"""
import json, sys
import numpy as np
import densenn as dn

shapes = json.loads(sys.argv[1])
out, same = {}, {}
for dtype in ("float32", "float64"):
    for batch, n_in, n_out in shapes:
        rng = np.random.default_rng(batch * 1000 + n_in * 10 + n_out)
        x = rng.uniform(-1, 1, (batch, n_in)).astype(dtype)
        w = rng.uniform(-1, 1, (n_out, n_in)).astype(dtype)
        b = rng.uniform(-1, 1, n_out).astype(dtype)
        dy = rng.uniform(-1, 1, (batch, n_out)).astype(dtype)
        results = []
        for threads in (1, 2):
            dn.set_num_threads(threads)
            layer = dn.Dense(n_in, n_out, dtype=dtype, seed=0)
            layer.weight[...] = w
            layer.bias[...] = b
            y = layer.forward(x)
            dx = layer.backward(dy)
            results.append([y, dx, layer.grad_weight.copy(), layer.grad_bias.copy()])
        key = f"{dtype} {batch} {n_in} {n_out}"
        same[key] = all(a.tobytes() == c.tobytes() for a, c in zip(*results))
        for name, a in zip(("y", "dx", "dw", "db"), results[0]):
            out[f"{key} {name}"] = a
np.savez(sys.argv[2], **out)
print(json.dumps(same))
"""


def run_child(level, path):
    """-> ({key: whether 1 and 2 threads gave the same bits}, {"key name": array})."""
    env = dict(os.environ, DENSENN_SIMD=level, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(SHAPES), str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with np.load(path) as arrays:
        return json.loads(done.stdout), dict(arrays)


@pytest.mark.parametrize("level", ["scalar", "avx2", "avx512"])
def test_every_simd_level_matches_the_reference(level, assert_close, tmp_path):
    same_bits, arrays = run_child(level, tmp_path / "results.npz")
    assert len(same_bits) == 2 * len(SHAPES)
    for key, same in same_bits.items():
        dtype, batch, n_in, n_out = key.split()
        batch, n_in, n_out = int(batch), int(n_in), int(n_out)
        rng = np.random.default_rng(batch * 1000 + n_in * 10 + n_out)
        x = rng.uniform(-1, 1, (batch, n_in)).astype(dtype)
        w = rng.uniform(-1, 1, (n_out, n_in)).astype(dtype)
        b = rng.uniform(-1, 1, n_out).astype(dtype)
        dy = rng.uniform(-1, 1, (batch, n_out)).astype(dtype)
        y, dx, dw, db = (arrays[f"{key} {name}"] for name in ("y", "dx", "dw", "db"))
        want_dx, want_dw, want_db = dense_backward(dy, x, w)
        assert same, f"{level} {key}: 1 and 2 threads differ"
        assert y.dtype == dtype and dw.dtype == dtype
        assert_close(y, dense_forward(x, w, b), dtype)
        assert_close(dx, want_dx, dtype)
        assert_close(dw, want_dw, dtype)
        assert_close(db, want_db, dtype)
