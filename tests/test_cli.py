"""The command line: python -m densenn demo trains on the digits and reports accuracy and time; --version."""

import io
import re
import subprocess
import sys

import pytest

import densenn as dn
from densenn.__main__ import main


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "densenn", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_version_prints_the_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"densenn {dn.__version__}"


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_demo_runs_and_reaches_95_percent():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: the demo cannot run")
    result = run_cli("demo", "--epochs", "8", "--lr", "0.003")
    assert result.returncode == 0, result.stderr
    accuracy = re.search(r"test accuracy: ([0-9.]+)% \((\d+)/360 images\)", result.stdout)
    assert accuracy, result.stdout
    assert float(accuracy.group(1)) >= 95.0 and int(accuracy.group(2)) >= 342
    assert re.search(r"time: [0-9.]+ s to train", result.stdout)
    # Not a terminal: one progress line per epoch on stderr instead of a bar.
    assert len(re.findall(r"^Epoch \d+/8 - ", result.stderr, re.M)) == 8


def test_demo_function_returns_its_figures():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: the demo cannot run")
    from densenn import demo

    out = io.StringIO()
    result = demo.run(epochs=1, progress=False, file=out)
    assert 0 < result["accuracy"] <= 1 and result["test_size"] == 360 and result["seconds"] > 0
    assert result["correct"] == round(result["accuracy"] * 360)
    assert list(result["history"]) == ["loss", "accuracy"] and len(result["history"]["loss"]) == 1
    assert f"test accuracy: {result['accuracy']:.2%}" in out.getvalue()


def test_demo_reports_bad_arguments(capsys):
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: the demo cannot run")
    assert main(["demo", "--epochs", "1", "--batch-size", "0", "--no-progress"]) == 2
    assert "batch_size must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse's own usage error
        main(["demo", "--epochs", "many"])
    assert exit_info.value.code == 2
