"""Tiny data and trainers shared by the trainer tests."""

import numpy as np
import pytest
import tensorflow as tf

IMAGE_SHAPE = (8, 8, 1)
NUM_CLASSES = 3
BATCH = 8
# Network sizes that keep a train step in milliseconds.
TINY = {"noise_dim": 8, "width": 4, "critic_width": 4}


def tiny_batches(num_batches: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (num_batches * BATCH, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, num_batches * BATCH).astype("int32")
    return images, labels


def tiny_dataset(num_batches: int = 4) -> tf.data.Dataset:
    images, labels = tiny_batches(num_batches)
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH, drop_remainder=True)
    return ds


def semi_supervised_batches(num_batches: int = 3, seed: int = 0) -> tf.data.Dataset:
    """Half of each batch labelled, the second half unlabelled (-1), as Improved-GAN's
    reference draws them; under a two-replica strategy the replicas' halves differ."""
    images, labels = tiny_batches(num_batches, seed)
    labels = labels.copy()
    labels.reshape(num_batches, BATCH)[:, BATCH // 2:] = -1
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH, drop_remainder=True)


def softplus(x):
    return np.logaddexp(0.0, x)


def logsumexp(x):
    return np.log(np.exp(x).sum(axis=-1))


@pytest.fixture
def dataset() -> tf.data.Dataset:
    return tiny_dataset()
