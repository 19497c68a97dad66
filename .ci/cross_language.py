"""Models crossing languages: a C++-trained file loads in Python, a Python-saved file predicts in C++.

Usage: python .ci/cross_language.py EXAMPLES_BUILD_DIR   (examples/cpp built against this densenn)
"""

import subprocess
import sys
from pathlib import Path

import numpy as np

import densenn as dn

build = Path(sys.argv[1])

# C++ -> Python: train_xor trains and saves; Python loads it (with the self-check) and predicts.
subprocess.run([build / "train_xor", build / "xor.safetensors"], check=True)
xor = dn.load(build / "xor.safetensors")
assert list(xor.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]])).argmax(axis=1)) == [0, 1, 1, 0]

# Python -> C++: the same rows give bitwise the same float32 outputs (printed with 9 digits).
model = dn.Sequential(dn.Dense(3, 16, seed=0), dn.Tanh(), dn.Dense(16, 4, seed=1), dn.Softmax())
model.save(build / "python.safetensors")
x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
np.savetxt(build / "rows.csv", x, delimiter=",", fmt="%.9g")
printed = subprocess.run(
    [build / "predict_csv", build / "python.safetensors", build / "rows.csv"],
    check=True,
    capture_output=True,
    text=True,
).stdout
from_cpp = np.loadtxt(printed.splitlines(), delimiter=",", dtype=np.float32)
np.testing.assert_array_equal(from_cpp, model.predict(x))
print("models cross languages: C++ -> Python and Python -> C++ agree")
