"""python -m densenn train / predict end to end on small CSV and NPZ files, and their errors for bad input."""

import csv
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import densenn as dn
from densenn.__main__ import main
from densenn.cli import build_model, detect_task, encode_classes, fold_standardization, train


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "densenn", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def figure(name, text):
    """The number after ``name`` in a line such as "training: loss 0.1, accuracy 0.95 (240 rows)"."""
    found = re.search(rf"{name} (-?[0-9.]+)", text)
    assert found, text
    return float(found.group(1))


def blobs(n=240, seed=0):
    """Three well separated clusters with very different feature scales, named cat, dog and fox."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0, 0.0], [3.0, 3.0, 0.0], [0.0, 3.0, 3.0]])
    x = (centres[labels] + rng.normal(scale=0.5, size=(n, 3))) * [1.0, 100.0, 0.01] + [0.0, 500.0, -2.0]
    return x.round(5), np.array(["cat", "dog", "fox"])[labels]


# ---- end to end ------------------------------------------------------------------------------------------


def test_classification_csv_trains_saves_and_predicts_class_names(tmp_path):
    x, names = blobs()
    data = write_csv(
        tmp_path / "animals.csv", ["a", "b", "c", "species"], [[*r, s] for r, s in zip(x, names)]
    )
    model = tmp_path / "animals.safetensors"
    result = run_cli(
        "train", data, "--epochs", 30, "--validation-split", 0.25, "--no-progress", "--out", model
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "240 rows, 3 features (a, b, c), target 'species'" in out
    assert "task: classification of 3 classes (cat, dog, fox)" in out
    training, validation = (
        re.search(r"^training: .*$", out, re.M)[0],
        re.search(r"^validation: .*$", out, re.M)[0],
    )
    assert figure("accuracy", training) >= 0.9 and "(180 rows)" in training
    assert figure("accuracy", validation) >= 0.9 and "(60 rows)" in validation
    sidecar = json.loads((tmp_path / "animals.safetensors.json").read_text())
    assert sidecar["features"] == ["a", "b", "c"] and sidecar["classes"] == ["cat", "dog", "fox"]

    predicted = run_cli("predict", model, data)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert len(lines) == 240 and set(lines) <= {"cat", "dog", "fox"}
    assert np.mean(np.array(lines) == names) >= 0.9

    # Columns are matched by name: another order, without the target, gives the same predictions.
    reordered = write_csv(tmp_path / "new.csv", ["c", "a", "b"], x[:, [2, 0, 1]])
    assert run_cli("predict", model, reordered).stdout.splitlines() == lines

    written = run_cli("predict", model, data, "--out", tmp_path / "p.csv")
    assert written.returncode == 0 and "wrote 240 predictions" in written.stdout
    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["species"] and [r[0] for r in rows[1:]] == lines

    chances = run_cli("predict", model, data, "--probabilities", "--out", tmp_path / "proba.csv")
    assert chances.returncode == 0, chances.stderr
    with open(tmp_path / "proba.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["cat", "dog", "fox"]
    proba = np.array(rows[1:], dtype=float)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert list(np.array(rows[0])[proba.argmax(axis=1)]) == lines


def test_regression_csv_model_maps_raw_inputs_to_raw_targets(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3)) * [1.0, 50.0, 0.1] + [0.0, 300.0, 5.0]
    y = 40.0 * x[:, 0] + 0.5 * x[:, 1] - 200.0 * x[:, 2] + 1000.0  # far from 0, std about 60
    data = write_csv(tmp_path / "prices.csv", ["rooms", "area", "age", "price"], np.column_stack([x, y]))
    model = tmp_path / "prices.safetensors"
    result = run_cli(
        "train", data, "--epochs", 40, "--lr", 0.005, "--hidden", "32", "--no-progress", "--out", model
    )
    assert result.returncode == 0, result.stderr
    assert "task: regression" in result.stdout and "Dense(3, 32) - ReLU - Dense(32, 1)" in result.stdout
    assert figure("r2", result.stdout) >= 0.98

    predicted = run_cli("predict", model, data)
    assert predicted.returncode == 0, predicted.stderr
    values = np.array(predicted.stdout.split(), dtype=np.float64)
    assert values.shape == (200,)
    assert np.sqrt(np.mean((values - y) ** 2)) < 0.15 * y.std()
    # The standardization lives in the weights: dn.load alone gives the same numbers.
    direct = dn.load(model).predict(x)  # the CSV holds x exactly (repr)
    np.testing.assert_array_equal(values.astype(np.float32), direct[:, 0])


def test_npz_whole_number_labels_are_classes_and_task_overrides(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(160, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    model = tmp_path / "m.safetensors"
    result = run_cli(
        "train", tmp_path / "d.npz", "--epochs", 20, "--float64", "--no-progress", "--out", model
    )
    assert result.returncode == 0, result.stderr
    assert (
        "task: classification of 2 classes (0, 1); the target holds 2 distinct whole numbers" in result.stdout
    )
    assert "float64" in result.stdout and figure("accuracy", result.stdout) >= 0.9
    assert dn.load(model).dtype == np.float64
    lines = run_cli("predict", model, tmp_path / "d.npz").stdout.split()
    assert set(lines) <= {"0", "1"} and np.mean(np.array(lines, dtype=int) == y) >= 0.9

    forced = run_cli(
        "train", tmp_path / "d.npz", "--task", "regression", "--epochs", 1, "--no-progress", "--out", model
    )
    assert forced.returncode == 0 and "task: regression; --task" in forced.stdout


def test_dtype_none_trains_a_float32_model_as_in_pytorch(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 2))
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] > 0).astype(np.int64))
    report = io.StringIO()
    result = train(
        tmp_path / "d.npz", epochs=1, dtype=None, progress=False, out=tmp_path / "m.safetensors", file=report
    )
    assert result["model"].dtype == np.float32 and dn.load(tmp_path / "m.safetensors").dtype == np.float32
    assert "float32;" in report.getvalue() and "float64" not in report.getvalue()
    assert build_model(2, (3,), 2, dtype=None).dtype == np.float32


def test_model_saved_from_python_predicts_without_the_json(tmp_path, capsys):
    model = dn.Sequential(dn.Dense(2, 3, seed=0))
    model.save(tmp_path / "py.safetensors")
    x = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]])
    data = write_csv(tmp_path / "d.csv", ["u", "v", "label"], [[*r, 7] for r in x])
    expected = model.predict(x)
    assert main(["predict", str(tmp_path / "py.safetensors"), str(data), "--target", "label"]) == 0
    assert capsys.readouterr().out.split() == [
        str(i) for i in expected.argmax(axis=1)
    ]  # several outputs: argmax
    out = tmp_path / "raw.csv"
    args = [
        "predict",
        str(tmp_path / "py.safetensors"),
        str(data),
        "--target",
        "label",
        "--task",
        "regression",
    ]
    assert main([*args, "--out", str(out)]) == 0
    rows = list(csv.reader(open(out, newline="")))
    assert rows[0] == ["prediction_0", "prediction_1", "prediction_2"]
    np.testing.assert_array_equal(np.array(rows[1:], dtype=np.float32), expected)


def test_csv_details_bom_spaces_quotes_and_blank_lines(tmp_path, capsys):
    kinds = ['"big, red"' if i % 2 else "small" for i in range(12)]
    rows = "".join(f" {i} ,{i % 2 * 10 - 5}.0 , {kind}\n" for i, kind in enumerate(kinds))
    data = tmp_path / "d.csv"
    data.write_bytes(("\ufeffsize, offset ,kind\n" + rows + "\n\n").encode())
    model = str(tmp_path / "m.safetensors")
    assert (
        main(
            [
                "train",
                str(data),
                "--epochs",
                "40",
                "--lr",
                "0.05",
                "--hidden",
                "8",
                "--no-progress",
                "--out",
                model,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "12 rows, 2 features (size, offset), target 'kind'" in out and "(big, red, small)" in out
    assert main(["predict", model, str(data)]) == 0
    printed = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert printed == [["big, red"] if i % 2 else ["small"] for i in range(12)]


# ---- the pieces --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "task"),
    [
        (np.array(["a", "b"] * 5), "classification"),
        (np.array([0.0, 1.0, 2.0] * 10), "classification"),
        (np.array([3, 5, 7, 9, 11] * 2, dtype=float), "classification"),  # 5 values, 10 rows: at most half
        (np.array([3, 5, 7, 9, 11, 13, 3, 5, 7, 9, 11], dtype=float), "regression"),  # 6 values, 11 rows
        (np.arange(100.0) % 25, "regression"),  # whole numbers, but more than 20 of them
        (np.array([0.5, 1.5] * 10), "regression"),  # few values, not whole
        (np.zeros((10, 2)), "regression"),  # several target columns
    ],
)
def test_detect_task(y, task):
    assert detect_task(y)[0] == task


def test_encode_classes_keeps_the_original_values():
    labels, classes = encode_classes(np.array([7.0, 3.0, 5.0, 3.0]))
    assert labels.tolist() == [2, 0, 1, 0] and classes == [3, 5, 7] and isinstance(classes[0], int)
    labels, classes = encode_classes(np.array(["b", "a", "b"]))
    assert labels.tolist() == [1, 0, 1] and classes == ["a", "b"]


@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
def test_fold_standardization_is_exact(rng, hidden):
    model = build_model(3, hidden, 2, activation="tanh", dtype=np.float64, seed=0)
    x_mean, x_std = rng.normal(size=3) * 10, rng.uniform(0.1, 50, size=3)
    y_mean, y_std = rng.normal(size=2) * 100, rng.uniform(0.5, 20, size=2)
    x = rng.normal(size=(6, 3)) * x_std + x_mean
    expected = model.predict((x - x_mean) / x_std) * y_std + y_mean
    fold_standardization(model, x_mean, x_std, y_mean, y_std)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-12, atol=1e-10)


# ---- errors: one line on stderr, exit code 2, nothing written ---------------------------------------------


GOOD = "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        (GOOD, ["--target", "nope"], "data.csv: no column 'nope'; the columns are 'a', 'b', 'label'"),
        ("a,b,label\n1,2,0\n3,oops,1\n", [], "data.csv: line 3, column 'b': 'oops' is not a number"),
        ("a,b,label\n1,2,0\n3,,1\n", [], "line 3, column 'b': empty cell (missing values are not supported)"),
        ("a,b,label\n1,2,0\n3,inf,1\n", [], "line 3, column 'b': 'inf' is not a finite number"),
        ("a,b,label\n1,2,0\n3,4\n", [], "data.csv: line 3 has 2 cells, the header has 3 columns"),
        ("", [], "data.csv: the file is empty"),
        ("a,b,label\n", [], "data.csv: no data rows after the header"),
        ("1,2,0\n3,4,1\n", [], "the first row must name the columns, got numbers"),
        ("a,a,label\n1,2,0\n", [], "the header names a column more than once: a"),
        ("label\n1\n2\n", [], "no feature columns: the only column is the target 'label'"),
        (
            "a,label\n1,x\n2,y\n",
            ["--task", "regression"],
            "line 2, column 'label': 'x' is not a number (regression",
        ),
        ("a,label\n1,2\n2,y\n", [], "line 3, column 'label': 'y' is not a number, though other cells"),
        ("a,label\n1,x\n2,x\n", [], "holds one class only (x): nothing to learn"),
        ("a,id\n" + "".join(f"{i},n{i}\n" for i in range(30)), [], "it looks like an identifier"),
        (GOOD, ["--validation-split", "0.9"], "leaves no training or validation rows"),
        (GOOD, ["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
    ],
)
def test_train_reports_bad_data(tmp_path, capsys, text, options, message):
    (tmp_path / "data.csv").write_text(text)
    out = tmp_path / "m.safetensors"
    assert main(["train", str(tmp_path / "data.csv"), "--no-progress", "--out", str(out), *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("densenn train: error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists() and not (tmp_path / "m.safetensors.json").exists()


def test_train_reports_bad_npz_and_files(tmp_path, capsys):
    np.savez(tmp_path / "noy.npz", x=np.ones((4, 2)))
    np.savez(tmp_path / "text.npz", x=np.array([["a", "b"]] * 4), y=np.zeros(4))
    np.savez(tmp_path / "short.npz", x=np.ones((4, 2)), y=np.zeros(3))
    (tmp_path / "latin.csv").write_bytes(b"a,b\n\xe9t\xe9,1\n")
    (tmp_path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}\xff\xfe")
    cases = {
        "noy.npz": "no array 'y' in the NPZ; it holds 'x'",
        "text.npz": "the features array 'x' must hold numbers",
        "short.npz": "the target 'y' must have one row per row of 'x' (4), got shape (3,)",
        "model.safetensors": "neither a CSV text file nor an NPZ archive (it holds binary data)",
        "latin.csv": "neither a CSV text file (UTF-8) nor an NPZ archive",
        "missing.csv": "missing.csv: No such file or directory",
    }
    for name, message in cases.items():
        assert main(["train", str(tmp_path / name), "--out", str(tmp_path / "m.safetensors")]) == 2, name
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert main(["train", str(tmp_path / "noy.npz"), "--out", str(tmp_path / "no" / "m.safetensors")]) == 2
    assert "cannot save the model to" in capsys.readouterr().err
    (tmp_path / "folder").mkdir()  # an existing folder as the model file: refused before training
    assert main(["train", str(tmp_path / "noy.npz"), "--out", str(tmp_path / "folder")]) == 2
    assert "it is a folder" in capsys.readouterr().err


def test_ctrl_c_ends_a_command_with_one_line_and_status_130(monkeypatch, capsys):
    from densenn import cli

    def interrupted(args):
        raise KeyboardInterrupt

    original = cli.add_parser

    def add_parser(commands):  # the train command, with a handler that is interrupted
        original(commands)
        commands.choices["train"].set_defaults(func=interrupted)

    monkeypatch.setattr(cli, "add_parser", add_parser)
    assert main(["train", "data.csv"]) == 130
    assert capsys.readouterr().err == "densenn: interrupted\n"


def test_predict_reports_bad_models_and_data(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text(GOOD)
    model = tmp_path / "m.safetensors"
    assert (
        main(["train", str(data), "--epochs", "1", "--hidden", "4", "--no-progress", "--out", str(model)])
        == 0
    )
    capsys.readouterr()
    (tmp_path / "truncated.safetensors").write_bytes(model.read_bytes()[:100])
    (tmp_path / "only_a.csv").write_text("a\n1\n")
    (tmp_path / "words.csv").write_text("a,b\n1,x\n")
    cases = [
        ([str(data), str(data)], "data.csv: not a densenn model file that loads"),
        (
            [str(tmp_path / "truncated.safetensors"), str(data)],
            "truncated.safetensors: not a densenn model file",
        ),
        ([str(tmp_path / "none.safetensors"), str(data)], "none.safetensors: No such file or directory"),
        (
            [str(model), str(tmp_path / "only_a.csv")],
            "missing the feature columns 'b' the model was trained on",
        ),
        ([str(model), str(tmp_path / "words.csv")], "line 2, column 'b': 'x' is not a number"),
        (
            [str(model), str(data), "--probabilities", "--task", "regression"],
            "--probabilities needs a classifier",
        ),
    ]
    for args, message in cases:
        assert main(["predict", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("densenn predict: error: ") and message in err and err.count("\n") == 1, err
    # A JSON beside the model that describes another model is refused, not trusted.
    sidecar = tmp_path / "m.safetensors.json"
    info = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**info, "features": ["a", "b", "c"]}))
    assert main(["predict", str(model), str(data)]) == 2
    assert "does not describe the model" in capsys.readouterr().err
    sidecar.write_text("{not json")
    assert main(["predict", str(model), str(data)]) == 2
    assert "not the JSON file densenn train writes" in capsys.readouterr().err


def test_errors_from_the_real_command_have_no_traceback(tmp_path):
    (tmp_path / "data.csv").write_text(GOOD)
    for args in (["train", "data.csv", "--target", "price"], ["predict", "data.csv", "data.csv"]):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
