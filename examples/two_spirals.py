"""Train a small classifier on the two-spirals problem and print its accuracy and training time."""

import time

import numpy as np

import densenn as dn


def two_spirals(n_per_class: int, rng: np.random.Generator):
    """Two interleaved spirals in the plane: a classic problem no linear model can solve."""
    t = np.sqrt(rng.uniform(0.05, 1.0, n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, 0.02, (2 * n_per_class, 2))
    y = np.concatenate([np.zeros(n_per_class, np.int64), np.ones(n_per_class, np.int64)])
    return x.astype(np.float32), y


def main() -> None:
    rng = np.random.default_rng(0)
    x_train, y_train = two_spirals(1000, rng)
    x_test, y_test = two_spirals(500, rng)

    model = dn.Sequential(
        dn.Dense(2, 64, seed=0),
        dn.Tanh(),
        dn.Dense(64, 64, seed=1),
        dn.Tanh(),
        dn.Dense(64, 2, seed=2),
    )
    loss_fn = dn.SoftmaxCrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(100):
        order = rng.permutation(len(x_train))
        for batch in np.array_split(order, len(order) // 32):
            loss = loss_fn.forward(model.forward(x_train[batch]), y_train[batch])
            model.backward(loss_fn.backward())
            model.step(0.1)
        if epoch % 20 == 0:
            print(f"epoch {epoch:3d}  loss {loss:.4f}")
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(x_test).argmax(axis=1) == y_test))
    print(f"test accuracy {accuracy:.1%} after {seconds:.1f} s of training")


if __name__ == "__main__":
    main()
