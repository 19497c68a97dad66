"""Lifetimes and copies: views outlive their model, deepcopy gives independent models, pickle round-trips."""

import copy
import gc
import pickle

import numpy as np
import pytest

import densenn as dn


def trained(dtype=np.float32):
    model = dn.Sequential(
        dn.Dense(4, 6, dtype=dtype, seed=1), dn.LeakyReLU(0.2), dn.Dense(6, 3, dtype=dtype, seed=2)
    )
    x = np.random.default_rng(0).normal(size=(5, 4))
    loss = dn.SoftmaxCrossEntropyLoss()
    model.train_step(x, np.array([0, 1, 2, 0, 1]), loss, 0.1)
    return model, x, loss


def test_parameter_views_outlive_the_model():
    model, x, _ = trained()
    weight, grad = model[0].weight, model.gradients()[0]
    expected = weight.copy(), grad.copy()
    del model
    gc.collect()
    np.testing.assert_array_equal(weight, expected[0])
    np.testing.assert_array_equal(grad, expected[1])
    weight += 1  # still writable memory, not freed
    assert np.all(weight == expected[0] + 1)


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_copies_are_independent_and_equal(duplicate, dtype):
    model, x, loss = trained(dtype)
    twin = duplicate(model)
    assert [p.tobytes() for p in twin.parameters()] == [p.tobytes() for p in model.parameters()]
    assert [g.tobytes() for g in twin.gradients()] == [g.tobytes() for g in model.gradients()]
    assert twin[1].negative_slope == 0.2 and twin.dtype == dtype
    assert twin.predict(x).tobytes() == model.predict(x).tobytes()
    assert not any(np.shares_memory(a, b) for a in twin.parameters() for b in model.parameters())
    before = [p.copy() for p in model.parameters()]
    twin.train_step(x, np.array([2, 2, 2, 2, 2]), dn.SoftmaxCrossEntropyLoss(), 0.5)
    assert all(np.array_equal(a, b) for a, b in zip(model.parameters(), before))
    with pytest.raises(RuntimeError):  # training state is not copied: backward needs a new forward
        twin_fresh = duplicate(model)
        twin_fresh.backward(np.ones((5, 3)))


def test_losses_and_layers_copy_alone():
    model, x, loss = trained()
    loss_copy = copy.deepcopy(loss)
    with pytest.raises(RuntimeError):
        loss_copy.backward()
    assert loss_copy.forward(model.predict(x), [0, 1, 2, 0, 1]) == loss.forward(
        model.predict(x), [0, 1, 2, 0, 1]
    )
    dense = pickle.loads(pickle.dumps(model[0]))
    assert dense.weight.tobytes() == model[0].weight.tobytes() and dense.seed == model[0].seed


def test_a_layer_two_models_share_stays_shared_in_a_copy():
    shared = dn.Dense(3, 3, seed=0)
    first, second = copy.deepcopy((dn.Sequential(shared, dn.Tanh()), dn.Sequential(dn.Tanh(), shared)))
    assert first[0] is second[1] and first[0] is not shared
