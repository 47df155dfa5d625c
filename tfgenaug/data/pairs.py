"""Same-class pairs: the batches an image-conditioned generator (DAGAN) trains on.

DAGAN's critic compares a real pair (an image and another image of its class) with a
fake pair (the image and the generator's transform of it). `same_class_pairs` makes
those pairs in the input pipeline, for the *global* batch, so every replica of a
strategy sees the pairs one device would.
"""

import numpy as np
import tensorflow as tf

from tfgenaug.data.autotuning import without_autotuning
from tfgenaug.validation import check_positive_int


def same_class_pairs(images, labels, batch_size: int, seed: int = 0,
                     start_step: int = 0) -> tf.data.Dataset:
    """Endless batches `{"images", "partners", "labels"}` of same-class image pairs.

    Each image of a seeded, per-pass reshuffled order is paired with another image of
    its class drawn at random (itself when its class has one image). The stream is a
    pure function of its arguments: `start_step` skips the batches already trained, so
    a resumed run sees what an uninterrupted one would.

    Args:
        images: float array `(N, H, W, C)`.
        labels: int class ids `(N,)`, >= 0.
        batch_size: int >= 1. Pairs per batch (the last partial batch of a pass is
            dropped).
        seed: int. Seed of the order and of the partners.
        start_step: int >= 0. Batches to skip.

    Returns:
        An infinite `tf.data.Dataset` of dicts with `"images"` and `"partners"`
        `(batch_size, H, W, C)` float32 and `"labels"` `(batch_size,)` int32, with
        tf.data's autotuning off (`without_autotuning`).

    Raises:
        ValueError: naming the argument: empty or mismatched arrays, negative labels,
            a bad `batch_size`.

    Example:
    ```python
    train, _, info = tfgenaug.data.load("digits", image_size=8)
    x, y = tfgenaug.data.as_numpy(train)
    pairs = tfgenaug.data.same_class_pairs(x, y, batch_size=64, seed=0)
    trainer.fit(pairs, steps_per_epoch=100, epochs=10)
    ```
    """
    check_positive_int(batch_size, "batch_size")
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels).reshape(-1)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty (N, H, W, C) array; got shape "
                         f"{images.shape}")
    if len(labels) != len(images):
        raise ValueError(f"labels must have one class id per image ({len(images)}); got "
                         f"{len(labels)}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError("labels must be int class ids >= 0")
    by_class = np.argsort(labels, kind="stable")  # image ids grouped by class
    counts = np.bincount(labels)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(labels), np.int64)  # each image's position within its class
    rank[by_class] = np.arange(len(labels)) - starts[labels[by_class]]

    by_class_t, counts_t, starts_t = (tf.constant(a, tf.int64) for a in (by_class, counts,
                                                                         starts))
    labels_t, rank_t = tf.constant(labels, tf.int64), tf.constant(rank)

    def pair(index, draw):
        label = labels_t[index]
        count = counts_t[label]
        offset = 1 + tf.math.floormod(draw, tf.maximum(count - 1, 1))
        within = tf.where(count > 1, tf.math.floormod(rank_t[index] + offset, count),
                          rank_t[index])
        return index, by_class_t[starts_t[label] + within]

    images_t = tf.constant(images)

    def gather(index, partner):
        return {"images": tf.gather(images_t, index), "partners": tf.gather(images_t, partner),
                "labels": tf.cast(tf.gather(labels_t, index), tf.int32)}

    size = len(images)

    def one_pass(epoch):
        # Stateless draws keyed by (seed, pass) and (seed, position): the same stream in
        # any graph, e.g. after `tf.distribute` rewrites the pipeline to split batches.
        keys = tf.random.stateless_uniform([size], seed=tf.stack([tf.constant(seed, tf.int64),
                                                                  epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys))

    def partner_draw(position):
        key = tf.stack([tf.constant(seed + 1, tf.int64), position])
        return tf.random.stateless_uniform([], seed=key, maxval=2**30, dtype=tf.int64)

    order = tf.data.Dataset.range(2**62).flat_map(one_pass)
    draws = tf.data.Dataset.range(2**62).map(partner_draw)
    stream = (tf.data.Dataset.zip(order.map(lambda i: tf.cast(i, tf.int64)), draws).map(pair)
              .batch(batch_size, drop_remainder=True).map(gather))
    return without_autotuning(stream.skip(start_step).prefetch(tf.data.AUTOTUNE))
