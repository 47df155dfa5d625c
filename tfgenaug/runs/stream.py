"""The endless, seeded batch stream every run trains on, positioned for an exact resume."""

import tensorflow as tf

from tfgenaug.data.autotuning import without_autotuning

SHUFFLE_BUFFER = 4096


def training_stream(
    train: tf.data.Dataset, batch_size: int, seed: int, start_step: int
) -> tf.data.Dataset:
    """Shuffled (seeded), repeated, batched `train`, skipping the batches already trained.

    The stream is a pure function of `(train, batch_size, seed)`, so a run resumed at
    `start_step` sees the batches an uninterrupted run would have seen from there.

    Args:
        train: unbatched `(image, label)` dataset, in a fixed order.
        batch_size: global batch size; the last partial batch of a pass is dropped.
        seed: seed of the shuffle (reshuffled on every pass).
        start_step: batches to skip, i.e. the step the run resumes from.

    Returns:
        An endless, prefetched `tf.data.Dataset` of `(images, labels)` batches. In-memory
        data has no files to shard: under a multi-worker strategy the batches are sharded.
        Autotuning is off (`data.without_autotuning`: the run's `fit` would otherwise end
        waiting for the autotuner).

    Example:
    ```python
    stream = training_stream(train, batch_size=64, seed=0, start_step=250)
    ```
    """
    ds = train.cache().shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    ds = ds.repeat().batch(batch_size, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return without_autotuning(ds.skip(start_step).prefetch(tf.data.AUTOTUNE).with_options(options))
