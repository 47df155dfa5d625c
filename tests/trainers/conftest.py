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


@pytest.fixture
def dataset() -> tf.data.Dataset:
    return tiny_dataset()
