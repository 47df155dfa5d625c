"""Batch statistics over the global batch, for losses that are not per-example sums."""

import tensorflow as tf


def replicas_in_sync() -> int:
    """How many replicas share the current step: 1 outside a replica context."""
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def global_sum(value: tf.Tensor) -> tf.Tensor:
    """`value` summed over the replicas in sync, differentiably; `value` itself on one.

    On one replica (or outside a replica context) no all-reduce is traced: it would
    return the same value, and it wraps itself in a `tf.custom_gradient` that TensorFlow
    keeps, with the graph being traced, for the life of the process.

    Args:
        value: this replica's tensor.

    Returns:
        The sum over the replicas, of `value`'s shape.
    """
    if replicas_in_sync() == 1:
        return value
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, value)


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
    num_replicas = replicas_in_sync()
    if num_replicas == 1:
        return tf.reduce_mean(values, axis=0)
    total = global_sum(tf.reduce_sum(values, axis=0))
    count = tf.cast(tf.shape(values)[0] * num_replicas, values.dtype)
    return total / count
