"""benchmarks/lean_adam.py: Keras' Adam bit for bit, fewer ops, no one-device custom gradient."""

import contextlib
from collections.abc import Callable

import keras
import numpy as np
import pytest
import tensorflow as tf

from benchmarks import custom_gradient_leak
from benchmarks.lean_adam import LeanAdam as Adam

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 6)).astype("float32")
Y = (X @ RNG.normal(size=(6, 1))).astype("float32")


def small_model() -> keras.Model:
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(1)])


def trained_state(optimizer: keras.optimizers.Optimizer | Callable, *, jit_compile=False,
                  strategy=None, steps: int = 12) -> list[np.ndarray]:
    """Weights and optimizer variables after `steps` seeded steps of batch 16.

    Under `strategy`, `optimizer` is a function that makes it in the strategy's scope.
    """
    keras.utils.set_random_seed(0)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = small_model()
        optimizer = optimizer() if callable(optimizer) else optimizer
        model.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile)
    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16, drop_remainder=True)
    model.fit(dataset.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    return [np.array(w) for w in model.get_weights()] + [
        np.array(v) for v in model.optimizer.variables]


def assert_identical(ours: list[np.ndarray], keras_: list[np.ndarray]) -> None:
    assert len(ours) == len(keras_)
    for a, b in zip(ours, keras_, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("betas, jit_compile", [((0.9, 0.999), False), ((0.0, 0.9), True)])
def test_updates_equal_keras_adam_bit_for_bit(betas, jit_compile):
    ours = trained_state(Adam(1e-2, *betas), jit_compile=jit_compile)
    theirs = trained_state(keras.optimizers.Adam(1e-2, *betas), jit_compile=jit_compile)
    assert_identical(ours, theirs)
    assert not np.array_equal(ours[0], trained_state(Adam(1e-2, *betas), steps=1)[0])


def test_equal_under_a_two_replica_strategy(mirrored_strategy):
    ours = trained_state(lambda: Adam(1e-2, 0.5, 0.9), strategy=mirrored_strategy)
    theirs = trained_state(lambda: keras.optimizers.Adam(1e-2, 0.5, 0.9),
                           strategy=mirrored_strategy)
    assert_identical(ours, theirs)


def test_schedule_clipping_weight_decay_and_ema_are_keras():
    def make(cls):
        schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, 3, 0.5)
        return cls(schedule, clipnorm=0.1, weight_decay=0.01, use_ema=True,
                   ema_overwrite_frequency=5)

    assert_identical(trained_state(make(Adam)), trained_state(make(keras.optimizers.Adam)))


def test_loss_scaling_is_keras():
    def make(cls):
        return keras.optimizers.LossScaleOptimizer(cls(1e-2), initial_scale=2.0**8)

    assert_identical(trained_state(make(Adam)), trained_state(make(keras.optimizers.Adam)))


def test_amsgrad_and_sparse_gradients_take_keras_update():
    assert_identical(trained_state(Adam(1e-2, amsgrad=True)),
                     trained_state(keras.optimizers.Adam(1e-2, amsgrad=True)))

    def embedding_state(optimizer):
        keras.utils.set_random_seed(0)
        table = keras.Variable(np.ones((5, 2), "float32"))
        optimizer.build([table])
        for ids in ([0, 2], [2, 3]):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.gather(table, ids) ** 2)
            gradient = tape.gradient(loss, table)
            assert isinstance(gradient, tf.IndexedSlices)
            optimizer.apply([gradient], [table])
        return [np.array(table)] + [np.array(v) for v in optimizer.variables]

    assert_identical(embedding_state(Adam(0.1)), embedding_state(keras.optimizers.Adam(0.1)))


def test_a_one_device_fit_leaves_no_custom_gradient_behind():
    def entries_added_by_a_fit(optimizer) -> int:
        before = custom_gradient_leak.custom_gradient_entries()
        trained_state(optimizer, steps=2)
        return custom_gradient_leak.custom_gradient_entries() - before

    assert entries_added_by_a_fit(Adam(1e-2)) == 0
    assert entries_added_by_a_fit(keras.optimizers.Adam(1e-2)) > 0  # the leak it avoids


def test_an_update_traces_fewer_ops_than_keras_adam():
    variables = [keras.Variable(np.ones((3, 3, 4, 4), "float32")) for _ in range(10)]

    def ops_of_one_update(optimizer) -> int:
        optimizer.build(variables)

        @tf.function
        def update():
            optimizer.apply([tf.sin(v) for v in variables], variables)

        return len(update.get_concrete_function().graph.as_graph_def().node)

    ours, theirs = ops_of_one_update(Adam()), ops_of_one_update(keras.optimizers.Adam())
    assert ours < 0.7 * theirs, (ours, theirs)


def test_config_round_trip_and_checkpoints_shared_with_keras_adam(tmp_path):
    optimizer = Adam(3e-4, beta_1=0.5, epsilon=1e-6)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is Adam
    assert restored.get_config() == optimizer.get_config()

    variables = [keras.Variable(np.ones((2, 3), "float32"))]
    theirs = keras.optimizers.Adam(1e-2)
    theirs.build(variables)
    theirs.apply([tf.ones((2, 3))], variables)
    path = tf.train.Checkpoint(optimizer=theirs).write(str(tmp_path / "keras_adam"))
    ours = Adam(1e-2)
    ours.build(variables)
    tf.train.Checkpoint(optimizer=ours).read(path).assert_consumed()
    assert int(ours.iterations) == 1
    assert_identical([np.array(v) for v in ours.variables],
                     [np.array(v) for v in theirs.variables])
