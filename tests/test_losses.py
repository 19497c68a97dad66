"""MSE, softmax cross-entropy (labels and probabilities) and BCE-with-logits against the reference."""

import numpy as np
import pytest
import reference as ref

import densenn as dn

SHAPES = [(1, 1), (1, 4), (5, 1), (7, 13), (3,)]
SHAPE_IDS = ["x".join(map(str, s)) for s in SHAPES]
CLASS_SHAPES = [(1, 2), (1, 5), (5, 2), (7, 13), (4,)]
CLASS_IDS = ["x".join(map(str, s)) for s in CLASS_SHAPES]


def random_probabilities(shape, rng):
    p = rng.uniform(0.0, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def random_labels(shape, rng):
    """Labels for logits of `shape`: (batch,) for 2-D logits, a scalar for 1-D ones."""
    labels = rng.integers(0, shape[-1], shape[:-1])
    return labels if labels.ndim else int(labels)


def check_loss(loss, pred, target, want, dtype, assert_close):
    """Runs forward/backward and compares the value and the gradient with want = (value, grad)."""
    value = loss.forward(pred, target)
    assert type(value) is float
    grad = loss.backward()
    assert grad.dtype == pred.dtype and grad.shape == pred.shape
    assert_close(value, want[0], dtype)
    assert_close(grad, want[1], dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_mse(shape, dtype, rng, assert_close):
    pred = rng.normal(size=shape).astype(dtype)
    target = rng.normal(size=shape).astype(dtype)
    check_loss(dn.MSELoss(), pred, target, ref.mse(pred, target), dtype, assert_close)


@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=CLASS_IDS)
def test_cross_entropy_with_labels(shape, dtype, rng, assert_close):
    logits = rng.normal(scale=3.0, size=shape).astype(dtype)
    labels = random_labels(shape, rng)
    want = ref.softmax_cross_entropy_labels(logits, labels)
    check_loss(dn.SoftmaxCrossEntropyLoss(), logits, labels, want, dtype, assert_close)


@pytest.mark.parametrize("label_dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
def test_cross_entropy_accepts_any_integer_label_dtype(label_dtype, dtype, rng, assert_close):
    logits = rng.normal(size=(6, 4)).astype(dtype)
    labels = np.array([0, 3, 1, 2, 3, 0], dtype=label_dtype)
    want = ref.softmax_cross_entropy_labels(logits, labels.astype(np.int64))
    check_loss(dn.SoftmaxCrossEntropyLoss(), logits, labels, want, dtype, assert_close)


@pytest.mark.parametrize("shape", CLASS_SHAPES, ids=CLASS_IDS)
def test_cross_entropy_with_probabilities(shape, dtype, rng, assert_close):
    logits = rng.normal(scale=3.0, size=shape).astype(dtype)
    probs = random_probabilities(shape, rng).astype(dtype)
    want = ref.softmax_cross_entropy_probs(logits, probs)
    check_loss(dn.SoftmaxCrossEntropyLoss(), logits, probs, want, dtype, assert_close)


def test_cross_entropy_one_hot_probabilities_equal_labels(dtype, rng, assert_close):
    logits = rng.normal(size=(5, 3)).astype(dtype)
    labels = np.array([2, 0, 1, 1, 2])
    one_hot = np.eye(3, dtype=dtype)[labels]
    by_labels, by_probs = dn.SoftmaxCrossEntropyLoss(), dn.SoftmaxCrossEntropyLoss()
    assert_close(by_probs.forward(logits, one_hot), by_labels.forward(logits, labels), dtype)
    assert_close(by_probs.backward(), by_labels.backward(), dtype)


@pytest.mark.parametrize("big", [1e3, 1e4])
def test_cross_entropy_is_stable_for_huge_logits(big, dtype, assert_close):
    logits = np.array([[big, -big, 0.0], [-big, big, big], [big, -big, -big]], dtype=dtype)
    labels = np.array([0, 0, 1])
    # Exact values: row 0 is right (loss 0), row 1 puts 2*big of margin on the wrong classes
    # (loss 2 big + log 2), row 2 puts 2*big on the wrong class (loss 2 big).
    for target, want in [
        (labels, ref.softmax_cross_entropy_labels(logits, labels)),
        (np.eye(3, dtype=dtype)[labels], ref.softmax_cross_entropy_probs(logits, np.eye(3)[labels])),
    ]:
        loss = dn.SoftmaxCrossEntropyLoss()
        value = loss.forward(logits, target)
        grad = loss.backward()
        assert np.isfinite(value) and np.all(np.isfinite(grad))
        assert_close(value, (4 * big + np.log(2.0)) / 3, dtype)
        assert_close(value, want[0], dtype)
        assert_close(grad, want[1], dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("targets", ["binary", "soft"])
def test_bce_with_logits(shape, targets, dtype, rng, assert_close):
    logits = rng.normal(scale=3.0, size=shape).astype(dtype)
    if targets == "binary":
        target = rng.integers(0, 2, shape).astype(dtype)
    else:
        target = rng.uniform(0, 1, shape).astype(dtype)
    want = ref.bce_with_logits(logits, target)
    check_loss(dn.BCEWithLogitsLoss(), logits, target, want, dtype, assert_close)


@pytest.mark.parametrize("big", [1e2, 1e4, 1e30])
def test_bce_is_stable_for_huge_logits(big, dtype, assert_close):
    logits = np.array([big, big, -big, -big], dtype=dtype)
    target = np.array([1.0, 0.0, 1.0, 0.0], dtype=dtype)
    loss = dn.BCEWithLogitsLoss()
    value = loss.forward(logits, target)
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    # The two wrong predictions each cost |z|; the right ones cost ~0.
    assert_close(value, 2 * float(dtype.type(big)) / 4, dtype)
    assert_close(grad, [0.0, 0.25, -0.25, 0.0], dtype)


@pytest.mark.parametrize("make", [dn.MSELoss, dn.BCEWithLogitsLoss, dn.SoftmaxCrossEntropyLoss])
def test_backward_keeps_pred_dtype_and_can_be_repeated(make, dtype, rng):
    pred = rng.normal(size=(4, 3)).astype(dtype)
    target = np.array([0, 2, 1, 1]) if make is dn.SoftmaxCrossEntropyLoss else np.zeros((4, 3), dtype)
    loss = make()
    assert type(loss.forward(pred, target)) is float
    first = loss.backward()
    assert first.dtype == dtype
    assert loss.backward().tobytes() == first.tobytes()


def test_loss_backward_belongs_to_the_caller(rng):
    loss = dn.MSELoss()
    loss.forward(np.ones((2, 2)), np.zeros((2, 2)))
    grad = loss.backward()
    kept = grad.copy()
    loss.forward(np.full((2, 2), 5.0), np.zeros((2, 2)))
    loss.backward()
    np.testing.assert_array_equal(grad, kept)


def test_loss_is_callable_like_forward(rng):
    pred, target = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    assert dn.MSELoss()(pred, target) == dn.MSELoss().forward(pred, target)
