"""`tfgenaug.trainers.prefit_build`: when Keras' pre-fit build needs a batch, and which."""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.trainers import prefit_build


def test_a_batch_is_needed_only_while_something_is_unbuilt():
    model = keras.Sequential([keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    assert prefit_build.needs_a_batch(model)  # layers unbuilt
    model.build((None, 3))
    assert prefit_build.needs_a_batch(model)  # compiled loss and metrics unbuilt
    model.evaluate(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    assert not prefit_build.needs_a_batch(model)
    bare = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    bare.compile(optimizer="sgd")
    assert not prefit_build.needs_a_batch(bare)


def test_the_first_local_batch_of_a_distributed_epoch(mirrored_strategy):
    images = np.arange(8 * 2, dtype=np.float32).reshape(8, 2)
    labels = np.arange(8, dtype=np.int32)
    batches = mirrored_strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((images, labels)).batch(8))
    epoch = [(0, 0, iter(batches))]
    first_images, first_labels = prefit_build.first_local_batch(epoch)
    np.testing.assert_array_equal(first_images, images[:4])
    np.testing.assert_array_equal(first_labels, labels[:4])
    assert prefit_build.first_local_batch([]) is None
    assert prefit_build.first_local_value(3) == 3
