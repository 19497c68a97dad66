"""fit, evaluate and batched predict: the loop they run, History, validation, callbacks, progress, errors."""

import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import densenn as dn


def blobs(rng, n=120, classes=3, features=4, dtype=np.float32):
    """Separable clusters: a problem fit must solve quickly."""
    centers = rng.normal(scale=3.0, size=(classes, features))
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(size=(n, features))
    return x.astype(dtype), y


def small_model(dtype=np.float32, seed=0, n_in=4, n_out=3):
    return dn.Sequential(
        dn.Dense(n_in, 16, dtype=dtype, seed=seed), dn.ReLU(), dn.Dense(16, n_out, dtype=dtype, seed=seed + 1)
    )


def test_fit_reduces_the_loss(rng):
    x, y = blobs(rng)
    model = small_model()
    history = model.fit(
        x, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=15, seed=0, progress=False
    )
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert history["accuracy"][-1] > 0.95
    assert model.evaluate(x, y, dn.SoftmaxCrossEntropyLoss())["accuracy"] > 0.95


def test_fit_runs_exactly_the_documented_loop(rng):
    # The same mini-batches (rng.permutation(n) from the seed, every epoch), forward, loss, backward
    # and Adam step written out by hand give bitwise the same weights and the same History.
    x, y = blobs(rng, n=50)
    model, twin = small_model(np.float64), small_model(np.float64)
    history = model.fit(
        x, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=3, batch_size=16, seed=7, progress=False
    )
    loss_fn, opt, order_rng = (
        dn.SoftmaxCrossEntropyLoss(),
        dn.Adam(twin.parameters(), lr=0.01),
        np.random.default_rng(7),
    )
    xd = x.astype(np.float64)
    for epoch in range(3):
        order = order_rng.permutation(50)
        losses, correct = [], 0
        for start in range(0, 50, 16):
            xb, yb = xd[order][start : start + 16], y[order][start : start + 16]
            logits = twin.forward(xb)
            losses.append(loss_fn.forward(logits, yb) * len(xb))
            correct += int(np.sum(logits.argmax(axis=1) == yb))
            twin.backward(loss_fn.backward())
            opt.step()
        assert history["loss"][epoch] == pytest.approx(sum(losses) / 50, rel=1e-14)
        assert history["accuracy"][epoch] == pytest.approx(correct / 50, rel=1e-14)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key])


def test_plain_sgd_is_model_step(rng):
    x, y = blobs(rng, n=32)
    model, twin = small_model(np.float64), small_model(np.float64)
    model.fit(x, y, loss="cross_entropy", lr=0.05, epochs=2, batch_size=32, shuffle=False, progress=False)
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    for _ in range(2):
        loss_fn.forward(twin.forward(x), y)
        twin.backward(loss_fn.backward())
        twin.step(0.05)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key])


def test_seeded_fit_is_bitwise_reproducible(rng):
    x, y = blobs(rng)
    runs = []
    for seed in (3, 3, 4):
        model = small_model()
        history = model.fit(
            x, y, loss="cross_entropy", optimizer="sgd", lr=0.1, epochs=3, seed=seed, progress=False
        )
        runs.append((model.state_dict(), dict(history)))
    (a, history_a), (b, history_b), (c, _) = runs
    assert history_a == history_b
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)  # another seed, another order


def test_history_contents(rng):
    x, y = blobs(rng)
    x_val, y_val = blobs(rng, n=30)
    model = small_model()
    history = model.fit(
        x, y, loss=dn.SoftmaxCrossEntropyLoss(), epochs=4, validation_data=(x_val, y_val), progress=False
    )
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert history.history is not None and dict(history) == history.history
    assert history.epoch == [0, 1, 2, 3]
    assert all(len(v) == 4 and all(isinstance(e, float) for e in v) for v in history.values())
    assert all(0 <= a <= 1 for a in history["accuracy"] + history["val_accuracy"])
    # The validation values are those of the model at the end of the epoch.
    final = model.evaluate(x_val, y_val, "cross_entropy")
    assert history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-6)
    assert history["val_accuracy"][-1] == final["accuracy"]
    assert "History(epochs=4" in repr(history)

    regression = dn.Sequential(dn.Dense(4, 1, seed=0))
    targets = x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    h = regression.fit(x, targets, loss="mse", optimizer="adam", lr=0.05, epochs=3, progress=False)
    assert list(h) == ["loss"]  # no accuracy for a regression loss; (n,) targets fit an (n, 1) output


def test_validation_split_holds_out_the_last_fraction(rng):
    x, y = blobs(rng, n=100)
    a, b = small_model(), small_model()
    split = a.fit(x, y, loss="cross_entropy", epochs=2, validation_split=0.25, seed=1, progress=False)
    given = b.fit(
        x[:75],
        y[:75],
        loss="cross_entropy",
        epochs=2,
        validation_data=(x[75:], y[75:]),
        seed=1,
        progress=False,
    )
    assert dict(split) == dict(given)
    assert split.params["samples"] == 75


def test_binary_and_custom_metrics(rng):
    x = rng.normal(size=(64, 2))
    y = (x[:, :1] > 0).astype(np.float64)
    model = dn.Sequential(dn.Dense(2, 1, dtype=np.float64, seed=0))

    def mean_logit(pred, target):
        return float(np.mean(pred))

    history = model.fit(
        x,
        y,
        loss="bce_with_logits",
        optimizer="adam",
        lr=0.1,
        epochs=5,
        progress=False,
        metrics=["accuracy", mean_logit],
    )
    assert list(history) == ["loss", "accuracy", "mean_logit"]
    logits = model.predict(x)
    assert model.evaluate(x, y, dn.BCEWithLogitsLoss())["accuracy"] == np.mean((logits > 0) == (y > 0.5))
    with pytest.raises(ValueError, match="accuracy needs a classification loss"):
        model.fit(x, y, loss="mse", metrics=["accuracy"], progress=False)


# ---- callbacks ----------------------------------------------------------------------------------------


def overfitting_problem(rng):
    """Random labels: the training loss falls while the validation loss rises after a few epochs."""
    x, y = rng.normal(size=(40, 8)), rng.integers(0, 2, 40)
    x_val, y_val = rng.normal(size=(40, 8)), rng.integers(0, 2, 40)
    model = dn.Sequential(
        dn.Dense(8, 64, dtype=np.float64, seed=0), dn.ReLU(), dn.Dense(64, 2, dtype=np.float64, seed=1)
    )
    return model, x, y, (x_val, y_val)


def test_early_stopping_restores_the_best_weights_bitwise(rng):
    model, x, y, val = overfitting_problem(rng)
    snapshots = []
    stopper = dn.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(
        x,
        y,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.02,
        epochs=100,
        batch_size=8,
        validation_data=val,
        seed=0,
        progress=False,
        callbacks=[lambda epoch, logs: snapshots.append(model.state_dict()), stopper],
    )
    val_loss = history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) < 100, "training should have stopped early"
    assert stopper.best_epoch == best and stopper.best == val_loss[best]
    assert stopper.stopped_epoch == best + 3 == len(val_loss) - 1
    assert best < len(val_loss) - 1 and not np.array_equal(
        snapshots[-1]["0.weight"], snapshots[best]["0.weight"]
    )
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[best][key])


def test_early_stopping_without_restoring_keeps_the_last_weights(rng):
    model, x, y, val = overfitting_problem(rng)
    snapshots = []
    model.fit(
        x,
        y,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.02,
        epochs=100,
        batch_size=8,
        validation_data=val,
        seed=0,
        progress=False,
        callbacks=[lambda e, logs: snapshots.append(model.state_dict()), dn.EarlyStopping(patience=3)],
    )
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[-1][key])


def test_early_stopping_modes_and_errors(rng):
    x, y = blobs(rng)
    stopper = dn.EarlyStopping(monitor="accuracy", patience=0)
    assert stopper.mode == "max"
    history = small_model().fit(
        x,
        y,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.05,
        epochs=50,
        progress=False,
        callbacks=stopper,
        seed=0,
    )
    # patience 0: training stops at the first epoch whose accuracy is no better than the best so far.
    assert stopper.stopped_epoch is not None and stopper.stopped_epoch == history.epoch[-1]
    assert stopper.best == max(history["accuracy"]) > history["accuracy"][-1] - 1e-12
    assert history["accuracy"][-1] <= max(history["accuracy"][:-1])
    with pytest.raises(ValueError, match="'val_loss' is not among the logged values"):
        small_model().fit(
            x, y, loss="cross_entropy", epochs=1, progress=False, callbacks=[dn.EarlyStopping()]
        )
    with pytest.raises(ValueError):
        dn.EarlyStopping(patience=-1)
    with pytest.raises(ValueError):
        dn.EarlyStopping(mode="maximal")


def test_a_callable_callback_gets_each_epochs_logs_and_can_stop(rng):
    x, y = blobs(rng)
    seen = []

    def record(epoch, logs):
        seen.append((epoch, logs))
        return epoch == 2  # True stops training after this epoch

    history = small_model().fit(
        x, y, loss="cross_entropy", epochs=10, validation_split=0.2, progress=False, callbacks=[record]
    )
    assert [e for e, _ in seen] == [0, 1, 2] and history.epoch == [0, 1, 2]
    for epoch, logs in seen:
        assert logs == {k: v[epoch] for k, v in history.items()}
        assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_callback_hooks_run_in_order(rng):
    x, y = blobs(rng, n=20)
    calls = []

    class Recorder(dn.Callback):
        def set_params(self, params):
            calls.append(("params", params))

        def on_train_begin(self, logs=None):
            calls.append(("begin", self.model is model))

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(("epoch", epoch))

        def on_epoch_end(self, epoch, logs=None):
            calls.append(("end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            calls.append(("done", sorted(logs)))

    model = small_model()
    model.fit(x, y, loss="cross_entropy", epochs=2, progress=False, callbacks=[Recorder()])
    keys = ["accuracy", "loss"]
    assert calls == [
        ("params", {"epochs": 2, "batch_size": 32, "samples": 20, "metrics": ["loss", "accuracy"]}),
        ("begin", True),
        ("epoch", 0),
        ("end", 0, keys),
        ("epoch", 1),
        ("end", 1, keys),
        ("done", keys),
    ]


# ---- progress -----------------------------------------------------------------------------------------


def test_progress_false_prints_nothing(rng, capfd):
    x, y = blobs(rng)
    small_model().fit(x, y, loss="cross_entropy", epochs=2, validation_split=0.2, progress=False)
    small_model().evaluate(x, y, "cross_entropy")
    assert capfd.readouterr() == ("", "")


def test_progress_off_a_terminal_prints_one_line_per_epoch(rng, capfd):
    x, y = blobs(rng)
    small_model().fit(x, y, loss="cross_entropy", epochs=2, validation_split=0.2)
    out, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 2
    assert lines[1].startswith("Epoch 2/2") and "loss: " in lines[1] and "val_accuracy: " in lines[1]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_draws_a_bar_per_epoch(rng, monkeypatch):
    pytest.importorskip("tqdm")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    x, y = blobs(rng)
    small_model().fit(x, y, loss="cross_entropy", epochs=2, batch_size=32)
    text = terminal.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "4/4" in text and "loss: " in text and "accuracy: " in text  # 120 samples: 4 batches of 32


# ---- evaluate and predict --------------------------------------------------------------------------------


def test_evaluate_matches_the_loss_and_accuracy(rng):
    x, y = blobs(rng, n=50)
    model = small_model(np.float64)
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    logits = model.predict(x)
    want = {"loss": loss_fn.forward(logits, y), "accuracy": float(np.mean(logits.argmax(1) == y))}
    assert model.evaluate(x, y, loss_fn) == want
    chunked = model.evaluate(x, y, loss_fn, batch_size=7)
    assert (
        chunked["loss"] == pytest.approx(want["loss"], rel=1e-12) and chunked["accuracy"] == want["accuracy"]
    )


def test_evaluate_leaves_training_state_alone(rng):
    x, y = blobs(rng, n=10)
    model = small_model(np.float64)
    out = model.forward(x)
    grads = [g.copy() for g in model.gradients()]
    model.evaluate(x[:3], y[:3], "cross_entropy")
    model.backward(np.ones_like(out))  # still the forward of x, not of the evaluation
    assert model[0].grad_weight.shape == grads[0].shape


@pytest.mark.parametrize("batch_size", [1, 7, 50, 1000])
def test_batched_predict_gives_the_same_output(batch_size, rng, dtype, assert_close):
    x = rng.normal(size=(50, 4))
    model = small_model(dtype)
    assert_close(model.predict(x, batch_size=batch_size), model.predict(x), dtype)
    assert model.predict(x[0], batch_size=2).shape == (3,)
    assert model.predict(np.zeros((0, 4)), batch_size=2).shape == (0, 3)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="batch_size"):
            model.predict(x, batch_size=bad)
    with pytest.raises(TypeError):
        model.predict(x, batch_size=2.5)


# ---- errors: checked before the first step, leaving the model as it was --------------------------------


def bad_calls(model, x, y):
    """case -> (fit arguments that differ from a good call, the exception, a part of its message)."""
    last_label_bad = np.where(np.arange(len(y)) == len(y) - 1, 3, y)  # only the very last batch is wrong
    return {
        "length": (dict(x=x, y=y[:-1]), ValueError, "one row per sample"),
        "label range": (dict(y=last_label_bad), ValueError, r"\[0, 3\)"),
        "negative label": (dict(y=-y - 1), ValueError, "labels"),
        "fractional label": (dict(y=y + 0.5), ValueError, "whole numbers"),
        "3-D x": (dict(x=x[None]), ValueError, "2-D"),
        "width": (dict(x=x[:, :3]), ValueError, "expected x of shape"),
        "batch_size": (dict(batch_size=0), ValueError, "batch_size"),
        "epochs": (dict(epochs=-1), ValueError, "epochs"),
        "split": (dict(validation_split=1.0), ValueError, "validation_split"),
        "split leaves no training": (dict(validation_split=0.99), ValueError, "empty"),
        "split and data": (dict(validation_split=0.2, validation_data=(x, y)), ValueError, "not both"),
        "validation pair": (dict(validation_data=(x,)), TypeError, "pair"),
        "validation labels": (dict(validation_data=(x, y + 3)), ValueError, "labels"),
        "loss": (dict(loss="hinge"), TypeError, "loss must be"),
        "optimizer": (dict(optimizer="rmsprop"), TypeError, "optimizer must be"),
        "lr": (dict(lr=-1.0), ValueError, "learning rate"),
        "lr with optimizer": (dict(optimizer=dn.Adam(model.parameters()), lr=0.1), ValueError, "lr belongs"),
        "callback": (dict(callbacks=[42]), TypeError, "callback"),
        "empty": (dict(x=x[:0], y=y[:0]), ValueError, "at least one"),
    }


@pytest.mark.parametrize("case", list(bad_calls(small_model(), np.zeros((4, 4)), np.zeros(4, int))))
def test_bad_fit_calls_raise_and_change_nothing(case, rng):
    x, y = blobs(rng, n=40)
    model = small_model()
    kwargs, error, message = bad_calls(model, x, y)[case]
    call = dict(x=x, y=y, loss="cross_entropy", optimizer="adam", epochs=2, progress=False)
    call.update(kwargs)
    before = model.state_dict()
    with pytest.raises(error, match=message):
        model.fit(call.pop("x"), call.pop("y"), **call)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


# ---- History.plot --------------------------------------------------------------------------------------


def test_history_plot_writes_a_figure(rng, tmp_path):
    pytest.importorskip("matplotlib")
    x, y = blobs(rng)
    history = small_model().fit(x, y, loss="cross_entropy", epochs=3, validation_split=0.2, progress=False)
    path = tmp_path / "curves.png"
    fig = history.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]  # training and validation
    np.testing.assert_array_equal(fig.axes[0].get_lines()[1].get_ydata(), history["val_loss"])
    assert [ax.get_title() for ax in history.plot(tmp_path / "loss.svg", keys="loss").axes] == ["loss"]
    with pytest.raises(ValueError, match="unknown keys"):
        history.plot(tmp_path / "x.png", keys=["f1"])


# ---- a real data set ----------------------------------------------------------------------------------


def test_fit_reaches_95_percent_on_the_digits():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: the digits test is skipped")
    from densenn.demo import build_model, load_digits_split

    x_train, y_train, x_test, y_test = load_digits_split()
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    model = build_model(seed=0)
    history = model.fit(
        x_train, y_train, loss="cross_entropy", optimizer="adam", lr=3e-3, epochs=8, seed=0, progress=False
    )
    assert history["loss"][-1] < 0.25 * history["loss"][0]
    result = model.evaluate(x_test, y_test, "cross_entropy")
    assert result["accuracy"] >= 0.95, result


def test_the_digits_loader_reads_what_scikit_learn_loads(monkeypatch):
    datasets = pytest.importorskip("sklearn.datasets")
    import densenn.demo

    digits = datasets.load_digits()
    pixels, labels = densenn.demo.load_digits()
    np.testing.assert_array_equal(pixels, digits.data)
    np.testing.assert_array_equal(labels, digits.target)

    # The fallback, when the file is not where it was: scikit-learn's own loader.
    monkeypatch.setattr(densenn.demo, "_DIGITS_CSV", ("datasets", "data", "moved.csv.gz"))
    pixels, labels = densenn.demo.load_digits()
    np.testing.assert_array_equal(pixels, digits.data)
    np.testing.assert_array_equal(labels, digits.target)


def test_readme_fit_section_runs(monkeypatch, tmp_path, capsys):
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: the README's fit example needs it")
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: the README's fit example plots")
    readme = Path(__file__).resolve().parent.parent / "README.md"
    section = readme.read_text(encoding="utf-8").split("## Training with fit", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # the example writes curves.png
    exec(compile(block, str(readme), "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "['loss', 'accuracy', 'val_loss', 'val_accuracy']" in out and "'accuracy': 0.9" in out
    assert (tmp_path / "curves.png").stat().st_size > 5000


def test_a_callback_returning_numpy_true_stops_training():
    model = dn.Sequential(dn.Dense(2, 1, seed=0))
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    history = model.fit(x, y, loss="mse", epochs=5, progress=False, callbacks=[lambda epoch, logs: np.True_])
    assert len(history["loss"]) == 1


def test_metrics_of_the_same_name_are_kept_apart(rng):
    # Two lambdas, "accuracy" twice, or a callable named "loss": each gets its own entry (Keras's
    # _1, _2 suffixes), never the sum of both.
    x, y = blobs(rng, n=30)
    model = small_model()

    def loss(pred, target):
        return 100.0

    values = model.evaluate(
        x, y, "cross_entropy", metrics=["accuracy", "acc", lambda p, t: 0.9, lambda p, t: 0.25, loss]
    )
    plain = model.evaluate(x, y, "cross_entropy")
    assert list(values) == ["loss", "accuracy", "accuracy_1", "<lambda>", "<lambda>_1", "loss_1"]
    assert values["loss"] == plain["loss"] and values["accuracy"] == values["accuracy_1"] == plain["accuracy"]
    assert (values["<lambda>"], values["<lambda>_1"], values["loss_1"]) == (0.9, 0.25, 100.0)
    history = model.fit(x, y, loss="cross_entropy", metrics=["accuracy", "acc"], epochs=1, progress=False)
    assert (
        list(history) == ["loss", "accuracy", "accuracy_1"] and history["accuracy"] == history["accuracy_1"]
    )
    assert 0 <= history["accuracy"][0] <= 1


def test_a_callback_class_instead_of_an_object_is_refused_before_training(rng):
    x, y = blobs(rng, n=20)
    model = small_model()
    before = model.state_dict()
    for callbacks in (dn.EarlyStopping, [dn.EarlyStopping]):
        with pytest.raises(TypeError, match=r"EarlyStopping\(\)"):
            model.fit(x, y, loss="cross_entropy", epochs=3, progress=False, callbacks=callbacks)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_early_stopping_never_takes_a_nan_as_the_best():
    # As Keras 2 and a torch loop starting from inf: NaN is no improvement, so a NaN first epoch
    # does not block every later one, and its weights are not the ones restored.
    model = dn.Sequential(dn.Dense(2, 1, dtype=np.float64, seed=0))
    values = iter([np.nan, 1.0, 0.5, np.nan, 0.75, 0.6, 0.7])
    snapshots = []

    def record(epoch, logs):
        logs["fake"] = next(values)  # what EarlyStopping reads (the history keeps fit's own copy)
        snapshots.append(model.state_dict())
        return stopper.on_epoch_end(epoch, logs)

    stopper = dn.EarlyStopping(monitor="fake", patience=2, restore_best_weights=True)
    stopper.set_model(model)
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    history = model.fit(
        x, y, loss="mse", optimizer="sgd", lr=0.1, epochs=7, progress=False, callbacks=[record]
    )
    stopper.on_train_end()
    assert (stopper.best, stopper.best_epoch, stopper.stopped_epoch) == (0.5, 2, 4)
    assert len(history["loss"]) == 5
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[2][key])
    all_nan = dn.EarlyStopping(monitor="fake", patience=5, restore_best_weights=True)
    all_nan.set_model(model)
    for epoch in range(3):
        assert all_nan.on_epoch_end(epoch, {"fake": np.nan}) is None
    assert all_nan.best_epoch is None and all_nan.best_weights is None


def test_a_callback_setting_model_stop_training_stops_after_that_epoch(rng):
    # Keras's way: self.model.stop_training = True, here from on_epoch_begin of epoch 1.
    x, y = blobs(rng, n=20)

    class StopInSecondEpoch(dn.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = small_model()
    history = model.fit(x, y, loss="cross_entropy", epochs=5, progress=False, callbacks=[StopInSecondEpoch()])
    assert history.epoch == [0, 1]
    history = model.fit(x, y, loss="cross_entropy", epochs=3, progress=False)  # a new fit starts afresh
    assert history.epoch == [0, 1, 2]
