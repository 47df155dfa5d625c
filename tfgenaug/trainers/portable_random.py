"""Stateless random numbers that are the same with and without XLA, on any device.

`tf.random.stateless_uniform/normal` give *different* floats under XLA than with the
plain TensorFlow kernels for the same seed and algorithm (measured with TF 2.21: the
Philox bits agree, the float conversion does not). A trainer whose step is compiled
with XLA on one device and per replica under a strategy would then see other noise.
These functions draw the raw Philox bits, which agree, and convert them here.
"""

import math

import tensorflow as tf


def _bits(shape, seed: tf.Tensor) -> tf.Tensor:
    return tf.random.stateless_uniform(
        shape, seed, minval=None, maxval=None, dtype=tf.uint32, alg="philox"
    )


def uniform(shape, seed: tf.Tensor) -> tf.Tensor:
    """Float32 values in [0, 1) with 24 random bits each.

    Args:
        shape: 1-D int tensor or list, the output shape.
        seed: int tensor of shape `(2,)`.

    Returns:
        float32 tensor of `shape`.
    """
    return tf.cast(tf.bitwise.right_shift(_bits(shape, seed), 8), tf.float32) * (2.0**-24)


def normal(shape, seed: tf.Tensor) -> tf.Tensor:
    """Standard normal float32 values by the Box-Muller transform of `uniform` draws.

    Args:
        shape: 1-D int tensor or list, the output shape.
        seed: int tensor of shape `(2,)`.

    Returns:
        float32 tensor of `shape`.
    """
    shape = tf.convert_to_tensor(shape, tf.int32)
    pair = uniform(tf.concat([[2], shape], axis=0), seed)
    radius = tf.sqrt(-2.0 * tf.math.log(1.0 - pair[0]))  # 1 - u is in (0, 1]
    return radius * tf.cos((2.0 * math.pi) * pair[1])
