"""Batch statistics over the global batch, for losses that are not per-example sums."""

import tensorflow as tf


def global_batch_mean(values: tf.Tensor) -> tf.Tensor:
    """Mean over axis 0 of the *global* batch: all-reduced across replicas, differentiably.

    In a replica context of several replicas each replica's sum is all-reduced and
    divided by the global count (replicas hold equal shares); elsewhere it is
    `tf.reduce_mean(values, axis=0)`. An all-reduce cannot be XLA-compiled per replica:
    a trainer using it names that in `per_replica_xla_blocker`.

    Args:
        values: `(local_batch, ...)` tensor.

    Returns:
        The mean, of shape `values.shape[1:]`.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tf.reduce_mean(values, axis=0)
    total = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(values, axis=0))
    count = tf.cast(tf.shape(values)[0] * context.num_replicas_in_sync, values.dtype)
    return total / count
