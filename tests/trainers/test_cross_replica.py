"""cross_replica: sums and batch means over the replicas in sync."""

import numpy as np
import tensorflow as tf

from benchmarks import custom_gradient_leak
from tfgenaug.trainers import cross_replica


def test_one_replica_traces_no_all_reduce():
    before = custom_gradient_leak.custom_gradient_entries()

    @tf.function
    def sum_and_mean(values):
        return cross_replica.global_sum(values), cross_replica.global_batch_mean(values)

    total, mean = sum_and_mean(tf.constant([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_array_equal(total, [[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_array_equal(mean, [2.0, 4.0])
    assert cross_replica.replicas_in_sync() == 1
    assert custom_gradient_leak.custom_gradient_entries() == before


def test_two_replicas_sum_and_average_the_global_batch(mirrored_strategy):
    counts = []

    @tf.function
    def per_replica():
        counts.append(cross_replica.replicas_in_sync())  # at tracing, a Python int
        replica = tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group,
                          tf.float32)
        values = tf.stack([replica + 1.0, replica + 3.0])  # replica 0: 1, 3; replica 1: 2, 4
        return cross_replica.global_sum(values), cross_replica.global_batch_mean(values)

    totals, means = (mirrored_strategy.experimental_local_results(r)
                     for r in mirrored_strategy.run(per_replica))
    assert counts and set(counts) == {2}
    for total, mean in zip(totals, means, strict=True):
        np.testing.assert_array_equal(total, [3.0, 7.0])
        np.testing.assert_allclose(mean, 2.5)
