"""tf.data's autotuning off for the streams a `fit` trains on: their iterators die quickly."""

import tensorflow as tf


def without_autotuning(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` with tf.data's autotuning turned off (its elements and order unchanged).

    An autotuned iterator runs a thread that re-tunes the pipeline on a period that doubles
    up to 60 s as the iterator ages. Deleting the iterator is meant to wake that thread,
    but in TensorFlow 2.21 the deletion often waits for the period to run out: 19 of 90
    iterators aged 90 s took over 1 s to delete (nearly all ~60 s) on a loaded 2-core
    machine, none with autotuning off (`python -m benchmarks.iterator_teardown`). Every
    `fit` deletes its iterator when it returns (or the garbage collector does, later), so
    a long run could end with a minute of doing nothing. The library's training streams
    are in-memory, cached or generated per step, and a training step costs thousands of
    times what the pipeline does (`benchmarks/results/throughput.md`), so there is nothing to tune.
    `prefetch(AUTOTUNE)` still adapts its buffer (tf.data's older, per-prefetch tuner) and
    `num_parallel_calls=AUTOTUNE` maps run one call per core.

    A user who feeds such a stream from slow storage can turn autotuning back on with
    `dataset.with_options(options)` where `options.autotune.enabled = True`.

    Args:
        dataset: any `tf.data.Dataset`.

    Returns:
        The same dataset with `options().autotune.enabled` False.

    Raises:
        TypeError: `dataset` is not a `tf.data.Dataset`.

    Example:
    ```python
    stream = without_autotuning(images.batch(64).prefetch(tf.data.AUTOTUNE))
    ```
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(f"dataset must be a tf.data.Dataset; got {type(dataset).__name__}")
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)
