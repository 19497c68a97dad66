"""The README's Python quick start, and its model-file block after it, run as written."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README.md has no python block"
    return blocks


def test_readme_quick_start_runs(capsys):
    exec(compile(python_blocks()[0], str(README), "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "accuracy" in out and "(32, 4)" in out


def test_readme_model_file_block_runs_after_the_quick_start(torch, tmp_path, monkeypatch):
    pytest.importorskip("safetensors", reason="safetensors is not installed")
    quick_start, model_files = python_blocks()[:2]
    assert 'model.save("model.safetensors")' in model_files
    monkeypatch.chdir(tmp_path)  # the block writes model.safetensors
    names = {"__name__": "__readme__"}
    exec(compile(quick_start + model_files, str(README), "exec"), names)
    x = torch.from_numpy(names["x"])
    np.testing.assert_allclose(
        names["twin"](x).detach().numpy(), names["model"].predict(names["x"]), rtol=1e-6
    )
    assert names["back"].predict(names["x"]).tobytes() == names["model"].predict(names["x"]).tobytes()
