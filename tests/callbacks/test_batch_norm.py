"""Batch-norm recalibration: moving statistics become those of the given images."""

import keras
import numpy as np
import pytest

from tfgenaug.callbacks.batch_norm import RecalibrateBatchNorm
from tfgenaug.callbacks.batch_norm import recalibrate_batch_norm


def model_with_batch_norm(momentum=0.99):
    inputs = keras.Input((3,))
    x = keras.layers.BatchNormalization(momentum=momentum, name="bn")(inputs)
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense"),
                              keras.layers.BatchNormalization(name="inner_bn")])
    return keras.Model(inputs, inner(x))


def test_moving_statistics_become_the_mean_of_the_batch_statistics():
    rng = np.random.default_rng(0)
    images = (3.0 + 2.0 * rng.standard_normal((512, 3))).astype(np.float32)
    model = model_with_batch_norm()
    assert recalibrate_batch_norm(model, images, batch_size=128) == 2
    bn = model.get_layer("bn")
    batches = images.reshape(4, 128, 3)
    np.testing.assert_allclose(bn.moving_mean.numpy(), batches.mean(axis=1).mean(axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), batches.var(axis=1).mean(axis=0),
                               rtol=1e-4)
    assert bn.momentum == 0.99  # restored
    # The nested model's batch norm saw the first one's normalised output.
    inner_bn = model.layers[-1].get_layer("inner_bn")
    assert not np.allclose(inner_bn.moving_mean.numpy(), 0.0)


def test_a_model_without_batch_norm_is_left_alone():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    before = [w.copy() for w in model.get_weights()]
    assert recalibrate_batch_norm(model, np.ones((4, 3), np.float32)) == 0
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_callback_recalibrates_when_fit_ends():
    model = model_with_batch_norm()
    model.compile("sgd", "mse")
    real = np.full((64, 3), 5.0, np.float32)
    model.fit(np.zeros((32, 3), np.float32), np.zeros((32, 2), np.float32), epochs=1,
              verbose=0, callbacks=[RecalibrateBatchNorm(real)])
    np.testing.assert_allclose(model.get_layer("bn").moving_mean.numpy(), 5.0, rtol=1e-5)


@pytest.mark.parametrize("images, batch_size, message", [
    (np.zeros((0, 3)), 4, "images must be a non-empty array"),
    (np.zeros((4, 3)), 0, "batch_size must be a positive int"),
])
def test_bad_arguments_are_named(images, batch_size, message):
    with pytest.raises(ValueError, match=message):
        recalibrate_batch_norm(model_with_batch_norm(), images, batch_size=batch_size)
