"""Exponential moving averages of weights, kept as checkpointed variables.

`ema = d * ema + (1 - d) * weights` after each update `t` (counted from 1), with the
warm-up `d = min(max_decay, (1 + t) / (10 + t))` of
`tf.train.ExponentialMovingAverage(num_updates=t)`. The averages live in a `tf.Module`
(a Keras-tracked list is not a checkpoint dependency) created with the trainer, in its
strategy scope, so checkpoints hold them.
"""

import keras
import numpy as np
import tensorflow as tf


def averages_of(variables: list, name: str = "ema") -> tf.Module:
    """A `tf.Module` whose `averages` start as copies of `variables`.

    Args:
        variables: the weights to average.
        name: str. The module's name. Defaults to `"ema"`.

    Returns:
        The module; `module.averages[i]` averages `variables[i]`.
    """
    module = tf.Module(name=name)
    module.averages = [
        keras.Variable(
            initializer=np.asarray(variable), trainable=False, dtype=variable.dtype,
            name=f"{name}_{i}", aggregation="only_first_replica",
        )
        for i, variable in enumerate(variables)
    ]
    return module


def warmup_decay(max_decay: float, updates: tf.Tensor) -> tf.Tensor:
    """`min(max_decay, (1 + t) / (10 + t))` for `t = updates`."""
    t = tf.cast(updates, tf.float32)
    return tf.minimum(tf.constant(max_decay, tf.float32), (1.0 + t) / (10.0 + t))


def update(averages: list, variables: list, decay: tf.Tensor) -> None:
    """`average = decay * average + (1 - decay) * variable`, pairwise."""
    for average, variable in zip(averages, variables, strict=True):
        average.assign(decay * average + (1.0 - decay) * tf.cast(variable, average.dtype))


def reset(averages: list, variables: list) -> None:
    """Sets each average to its variable's current value."""
    for average, variable in zip(averages, variables, strict=True):
        average.assign(variable)
